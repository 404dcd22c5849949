import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Who may use the local web UI (issue #8 "protected by a random per-start
 * token and an Origin check"). Anything on the machine can reach
 * 127.0.0.1:PORT, and any web page the user visits can make their browser
 * try; the token proves the request comes from someone who saw the URL we
 * printed, the Host/Origin checks stop DNS rebinding and cross-site sockets.
 */
export const TOKEN_COOKIE = 'outpost_ui_token';
export const TOKEN_QUERY = 'token';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokensEqual(expected: string, given: string | undefined | null): boolean {
  if (given === undefined || given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cookie the browser keeps once it came in with the printed URL. */
export function tokenFromCookie(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return rest.join('=');
  }
  return undefined;
}

export function tokenCookie(token: string): string {
  // HttpOnly: no script (ours included) ever reads it; SameSite=Strict: never sent by another site.
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** Host names this server answers to: a rebinding attack arrives with the attacker's host name. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([...allowedHosts(port)].map((h) => `http://${h}`));
}

export type Refusal = { status: number; reason: string } | undefined;

/** Checks an HTTP request or WebSocket upgrade; undefined means allowed. */
export function checkRequest(
  request: {
    host: string | undefined;
    origin: string | undefined;
    cookie: string | undefined;
    queryToken: string | null;
  },
  expected: { token: string; port: number; requireOrigin: boolean },
): Refusal {
  if (request.host === undefined || !allowedHosts(expected.port).has(request.host)) {
    return { status: 421, reason: `unexpected Host '${request.host ?? ''}'` };
  }
  if (request.origin !== undefined && !allowedOrigins(expected.port).has(request.origin)) {
    return { status: 403, reason: `cross-origin request from '${request.origin}' refused` };
  }
  if (expected.requireOrigin && request.origin === undefined) {
    return {
      status: 403,
      reason: 'the WebSocket must come from the Outpost page (no Origin header)',
    };
  }
  const given = request.queryToken ?? tokenFromCookie(request.cookie);
  if (!tokensEqual(expected.token, given)) {
    return {
      status: 401,
      reason: 'missing or wrong token: open the URL that `outpost ui` printed',
    };
  }
  return undefined;
}
