import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Who may use the local web UI (issue #8 "protected by a random per-start
 * token and an Origin check"; issue #14 item 5). Anything on the machine can
 * reach 127.0.0.1:PORT, and any web page the user visits can make their
 * browser try. The URL `outpost ui` prints carries a one-time sign-in code:
 * its first use trades it for a separate session secret in a cookie, a second
 * use is refused, so a URL seen later (scrollback, a log, another user's `ps`
 * while the browser started) no longer opens anything. The Host/Origin checks
 * stop DNS rebinding and cross-site sockets.
 */
export const CODE_QUERY = 'code';

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function secretsEqual(expected: string, given: string | undefined | null): boolean {
  if (given === undefined || given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Cookies are not kept apart by port: two `outpost ui` on one machine would
 * overwrite each other's cookie if the name were the same.
 */
export function sessionCookieName(port: number): string {
  return `outpost_ui_session_${port}`;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** Host names this server answers to: a rebinding attack arrives with the attacker's host name. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([...allowedHosts(port)].map((h) => `http://${h}`));
}

export type Refusal = { status: number; reason: string } | undefined;

export interface RequestFacts {
  host: string | undefined;
  origin: string | undefined;
  cookie: string | undefined;
}

/** What the sign-in code in a URL is worth. */
export type CodeOutcome =
  | { kind: 'signed-in'; setCookie: string }
  | { kind: 'already-signed-in' }
  | { kind: 'refused'; status: number; reason: string };

/** The one sign-in code of this start and the sessions it opened. */
export class UiAuth {
  readonly #port: number;
  readonly #code = newSecret();
  #codeUsed = false;
  readonly #sessions: string[] = [];
  readonly #onSignIn: Array<() => void> = [];

  constructor(port: number) {
    this.#port = port;
  }

  /** The code for the printed URL: good for one sign-in. */
  get code(): string {
    return this.#code;
  }

  /** Runs once, when the code has been used (the launch page can go then). */
  onSignIn(listener: () => void): void {
    if (this.#codeUsed) listener();
    else this.#onSignIn.push(listener);
  }

  /** Host and Origin checks, then the session cookie; undefined means allowed. */
  check(request: RequestFacts, options: { requireOrigin: boolean }): Refusal {
    const refusal = this.checkSite(request, options);
    if (refusal !== undefined) return refusal;
    if (!this.hasSession(request.cookie)) {
      return {
        status: 401,
        reason:
          'not signed in: open the URL that `outpost ui` printed (each URL signs in one browser once)',
      };
    }
    return undefined;
  }

  checkSite(request: RequestFacts, options: { requireOrigin: boolean }): Refusal {
    if (request.host === undefined || !allowedHosts(this.#port).has(request.host)) {
      return { status: 421, reason: `unexpected Host '${request.host ?? ''}'` };
    }
    if (request.origin !== undefined && !allowedOrigins(this.#port).has(request.origin)) {
      return { status: 403, reason: `cross-origin request from '${request.origin}' refused` };
    }
    if (options.requireOrigin && request.origin === undefined) {
      return {
        status: 403,
        reason: 'the WebSocket must come from the Outpost page (no Origin header)',
      };
    }
    return undefined;
  }

  hasSession(cookieHeader: string | undefined): boolean {
    const given = cookieValue(cookieHeader, sessionCookieName(this.#port));
    // Every entry is compared, so the time taken does not tell which one nearly matched.
    return this.#sessions.reduce((found, secret) => secretsEqual(secret, given) || found, false);
  }

  /** A URL's `?code=`: the first use opens a session, later uses are refused. */
  useCode(given: string, cookieHeader: string | undefined): CodeOutcome {
    const matches = secretsEqual(this.#code, given);
    if (matches && !this.#codeUsed) {
      this.#codeUsed = true;
      const session = newSecret();
      this.#sessions.push(session);
      for (const listener of this.#onSignIn.splice(0)) listener();
      // HttpOnly: no script (ours included) ever reads it; SameSite=Strict: never sent by another site.
      return {
        kind: 'signed-in',
        setCookie: `${sessionCookieName(this.#port)}=${session}; HttpOnly; SameSite=Strict; Path=/`,
      };
    }
    // The printed link opened again in the browser that already used it: nothing to refuse.
    if (this.hasSession(cookieHeader)) return { kind: 'already-signed-in' };
    if (matches) {
      return {
        status: 410,
        kind: 'refused',
        reason:
          'This sign-in link was already used: it works once, in one browser. If that was not you, stop `outpost ui` (Ctrl-C); start it again for a new link.',
      };
    }
    return {
      kind: 'refused',
      status: 401,
      reason: 'wrong sign-in link: open the URL that `outpost ui` printed',
    };
  }
}
