/**
 * One Gorgone client connection (gorgone.md §2, §4, §5): a ZMQ DEALER with a
 * `gorgone-…` routing id, the handshake (GETPUBKEY → pin check → HELO → [KEY]),
 * the AES channel, key rotation and session-loss recovery.
 *
 *   connecting → handshaking → ready ⇄ (lost → handshaking) → closed
 *
 * Nothing here logs key material: frames are logged by action name only.
 */
import type { KeyObject } from 'node:crypto';
import { Dealer } from 'zeromq';
import { AgentError } from '../../contract/errors.ts';
import { jwkThumbprint, publicKeyFromPem } from '../../identity/keys.ts';
import type { Logger } from '../../log.ts';
import {
  assertKeyStrength,
  authorizedClientsLine,
  decryptFrame,
  encryptFrame,
  formatHelo,
  formatRequest,
  GETPUBKEY,
  parseData,
  parseKeyMessage,
  parseMessage,
  parsePubkey,
  RESPONSE_TYPES,
  type GorgoneMessage,
  type SessionKeys,
} from './codec.ts';
import {
  asyncRsaDecryptor,
  decryptKeyAnswerAsync,
  type AsyncRsaDecryptor,
} from './rsa-offthread.ts';

/** §10: gorgone's client waits 10 s for [PUBKEY] and 10 s for [KEY]. */
export const HANDSHAKE_STEP_TIMEOUT_MS = 10_000;
/** §10: `ping_timeout` 30 s: no answer → close, reconnect, new handshake. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** §2: libzmq options of gorgone's `connect_com`. */
const RECONNECT_INTERVAL_MS = 1_000;
const CONNECT_TIMEOUT_MS = 30_000;

export interface ServerTrust {
  /** The server key thumbprint we expect (pinned, or --trust-thumbprint / --server-pubkey). */
  thumbprint?: string;
  /** Trust on first use: called when nothing is expected yet; false refuses. */
  onFirstUse?(server: {
    thumbprint: string;
    bits: number;
    hostname?: string;
  }): Promise<boolean> | boolean;
}

export interface ClientKey {
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface SessionOptions {
  /** `tcp://host:port` */
  endpoint: string;
  /** Full routing id, `gorgone-…` (codec.routingId). */
  identity: string;
  /** Informative HELO name (§4 step 2), e.g. `gorgone-3`. */
  name: string;
  clientKey: ClientKey;
  trust: ServerTrust;
  log: Logger;
  handshakeTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Server-initiated requests (pull mode: PING, GETLOG, COMMAND…, §8). */
  onRequest?(message: GorgoneMessage): void;
  /** After a re-handshake that followed a session loss (§5): re-register. */
  onRehandshake?(): void;
  /** The session is gone for good (re-handshake failed, socket closed). */
  onClosed?(error: AgentError | undefined): void;
}

export type SessionState = 'connecting' | 'handshaking' | 'ready' | 'closed';

export interface GorgoneResponse extends GorgoneMessage {
  /** DATA parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

interface Pending {
  token: string;
  resolve(message: GorgoneResponse): void;
  reject(error: AgentError): void;
  timer: NodeJS.Timeout | undefined;
}

export class GorgoneSession {
  readonly endpoint: string;
  readonly identity: string;
  state: SessionState = 'connecting';
  serverThumbprint: string | undefined;
  serverHostname: string | undefined;
  /** How many [KEY] rotations this session went through (§5). */
  rotations = 0;
  handshakes = 0;

  readonly #options: SessionOptions;
  readonly #dealer: Dealer;
  readonly #decryptor: AsyncRsaDecryptor;
  readonly #clientThumbprint: string;
  #keys: SessionKeys | undefined;
  #oldKeys: SessionKeys | undefined;
  #sendChain: Promise<void> = Promise.resolve();
  readonly #pending: Pending[] = [];
  readonly #handshakeInbox: string[] = [];
  #handshakeWaiter: ((frame: string | undefined) => void) | undefined;

  private constructor(options: SessionOptions) {
    this.#options = options;
    this.endpoint = options.endpoint;
    this.identity = options.identity;
    const ownKey = publicKeyFromPem(options.clientKey.publicKeyPem);
    assertKeyStrength(ownKey, "this agent's key");
    this.#clientThumbprint = jwkThumbprint(ownKey);
    this.#decryptor = asyncRsaDecryptor(options.clientKey.privateKeyPem);
    this.#dealer = new Dealer({
      routingId: options.identity,
      linger: 0,
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
      reconnectInterval: RECONNECT_INTERVAL_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
  }

  /** Connects and completes the handshake; rejects with an AgentError a person can act on. */
  static async open(options: SessionOptions): Promise<GorgoneSession> {
    const session = new GorgoneSession(options);
    try {
      session.#dealer.connect(options.endpoint);
      void session.#receiveLoop();
      await session.#handshake();
      return session;
    } catch (error) {
      session.close();
      throw error;
    }
  }

  get clientThumbprint(): string {
    return this.#clientThumbprint;
  }

  /** Sends a request and resolves with the one response the server owes it (§3). */
  request(
    action: string,
    data: unknown = {},
    options: { token?: string; target?: string; timeoutMs?: number } = {},
  ): Promise<GorgoneResponse> {
    const line = formatRequest(action, options.token ?? '', options.target ?? '', data);
    return this.#requestLine(line, options.token ?? '', options.timeoutMs);
  }

  /**
   * Sends a line that the server also answers (every message gets exactly one
   * response, §3) without waiting for it: PONG, SETLOGS in pull mode.
   */
  sendLine(line: string): void {
    this.#requestLine(line, '', undefined).catch(() => undefined);
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.#failPending(
      new AgentError('unreachable', `Gorgone session with ${this.endpoint} closed`),
    );
    this.#handshakeWaiter?.(undefined);
    this.#dealer.close();
  }

  // ---- internals -------------------------------------------------------------

  #requestLine(
    line: string,
    token: string,
    timeoutMs: number | undefined,
  ): Promise<GorgoneResponse> {
    if (this.state !== 'ready' || this.#keys === undefined) {
      return Promise.reject(
        new AgentError(
          'unreachable',
          `Gorgone session with ${this.endpoint} is ${this.state}, not ready`,
          {
            transient: true,
          },
        ),
      );
    }
    const frame = encryptFrame(this.#keys, line);
    return new Promise<GorgoneResponse>((resolve, reject) => {
      const pending: Pending = { token, resolve, reject, timer: undefined };
      const ms = timeoutMs ?? this.#options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
      pending.timer = setTimeout(() => {
        const i = this.#pending.indexOf(pending);
        if (i >= 0) this.#pending.splice(i, 1);
        reject(
          new AgentError(
            'timeout',
            `Gorgone server ${this.endpoint} did not answer within ${ms} ms`,
          ),
        );
      }, ms);
      this.#pending.push(pending);
      this.#send(frame).catch((error: unknown) => {
        clearTimeout(pending.timer);
        const i = this.#pending.indexOf(pending);
        if (i >= 0) this.#pending.splice(i, 1);
        reject(
          new AgentError(
            'unreachable',
            `cannot send to ${this.endpoint}: ${(error as Error).message}`,
          ),
        );
      });
    });
  }

  /** zeromq.js allows one pending send at a time: serialize them. */
  #send(frame: string): Promise<void> {
    const next = this.#sendChain.then(() => this.#dealer.send(frame));
    this.#sendChain = next.catch(() => undefined);
    return next;
  }

  async #receiveLoop(): Promise<void> {
    try {
      for await (const [frame] of this.#dealer) {
        if (frame !== undefined) this.#onFrame(frame.toString('latin1'));
      }
    } catch (error) {
      if (this.state !== 'closed')
        this.#options.log.warn('gorgone receive loop ended', { error: (error as Error).message });
    }
    if (this.state !== 'closed') {
      this.close();
      this.#options.onClosed?.(
        new AgentError('unreachable', `Gorgone session with ${this.endpoint} ended`),
      );
    }
  }

  #onFrame(frame: string): void {
    if (this.state === 'handshaking' || this.state === 'connecting') {
      if (this.#handshakeWaiter !== undefined) {
        const waiter = this.#handshakeWaiter;
        this.#handshakeWaiter = undefined;
        waiter(frame);
      } else this.#handshakeInbox.push(frame);
      return;
    }
    if (this.state !== 'ready' || this.#keys === undefined) return;
    if (frame.startsWith('[')) {
      // §5: a plaintext frame while encrypted means the server lost our session.
      this.#options.log.warn(
        'gorgone session lost (plaintext answer while encrypted): handshaking again',
        {
          server: this.endpoint,
        },
      );
      void this.#recover();
      return;
    }
    let plain = decryptFrame(this.#keys, frame);
    if (plain === undefined || !plain.startsWith('[')) {
      plain = this.#oldKeys === undefined ? undefined : decryptFrame(this.#oldKeys, frame);
    }
    if (plain === undefined || !plain.startsWith('[')) {
      this.#options.log.warn('gorgone frame dropped: it does not decrypt under the session key', {
        server: this.endpoint,
        bytes: frame.length,
      });
      return;
    }
    if (plain.startsWith('[KEY]')) {
      const next = parseKeyMessage(plain);
      if (next === undefined) {
        this.#options.log.warn('gorgone [KEY] rotation message malformed: ignored', {
          server: this.endpoint,
        });
        return;
      }
      // §5: the new key applies to every later frame, both ways.
      this.#oldKeys = this.#keys;
      this.#keys = next;
      this.rotations++;
      this.#options.log.info('gorgone session key rotated by the server', {
        server: this.endpoint,
      });
      return;
    }
    const message = parseMessage(plain);
    if (message === undefined) {
      this.#options.log.warn('gorgone frame dropped: not `[ACTION] [TOKEN] …`', {
        server: this.endpoint,
      });
      return;
    }
    // Core answers carry no target, except PONG's empty `[]` (§3).
    if (
      RESPONSE_TYPES.has(message.action) &&
      (message.target === undefined || message.action === 'PONG')
    ) {
      const pending = this.#pending.shift();
      if (pending === undefined) return; // §8 step 4: ignore stray ACKs
      clearTimeout(pending.timer);
      pending.resolve({ ...message, json: parseData(message.data) });
      return;
    }
    this.#options.log.debug('gorgone request from the server', { action: message.action });
    this.#options.onRequest?.(message);
  }

  async #recover(): Promise<void> {
    this.#failPending(
      new AgentError(
        'unreachable',
        `Gorgone server ${this.endpoint} lost our session; handshaking again`,
        {
          transient: true,
        },
      ),
    );
    try {
      await this.#handshake();
      this.#options.onRehandshake?.();
    } catch (error) {
      const agentError =
        error instanceof AgentError
          ? error
          : new AgentError('unreachable', (error as Error).message);
      this.#options.log.error('gorgone re-handshake failed', {
        server: this.endpoint,
        error: agentError.message,
      });
      this.close();
      this.#options.onClosed?.(agentError);
    }
  }

  #failPending(error: AgentError): void {
    for (const pending of this.#pending.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }

  #nextHandshakeFrame(step: string): Promise<string> {
    const queued = this.#handshakeInbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    const ms = this.#options.handshakeTimeoutMs ?? HANDSHAKE_STEP_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#handshakeWaiter = undefined;
        reject(
          new AgentError(
            'unreachable',
            `no ${step} from the Gorgone server at ${this.endpoint} within ${ms} ms: is gorgoned listening there (external_com_path) and reachable?`,
          ),
        );
      }, ms);
      this.#handshakeWaiter = (frame) => {
        clearTimeout(timer);
        if (frame === undefined)
          reject(new AgentError('unreachable', `Gorgone session with ${this.endpoint} closed`));
        else resolve(frame);
      };
    });
  }

  /** §4 steps 1–3. */
  async #handshake(): Promise<void> {
    this.state = 'handshaking';
    this.#handshakeInbox.length = 0;
    await this.#send(GETPUBKEY);
    let pubkeyFrame = await this.#nextHandshakeFrame('[PUBKEY] answer');
    // After a session loss, answers to requests sent under the lost session may still
    // be queued ahead of [PUBKEY] (the server answers in order, §3): skip them.
    while (!pubkeyFrame.startsWith('[PUBKEY]')) {
      pubkeyFrame = await this.#nextHandshakeFrame('[PUBKEY] answer');
    }
    const server = parsePubkey(pubkeyFrame);
    if (server === undefined) {
      throw new AgentError(
        'protocol',
        `the server at ${this.endpoint} did not answer [GETPUBKEY] with a usable RSA key`,
      );
    }
    assertKeyStrength(server.key, `the server key of ${this.endpoint}`);
    await this.#checkServerKey(server.thumbprint, server.key);

    await this.#send(
      formatHelo(this.#options.name, this.#options.clientKey.publicKeyPem, server.key),
    );
    const answer = await this.#nextHandshakeFrame('[KEY] answer');
    if (answer.startsWith('[')) {
      if (answer.includes('handshake issue')) {
        throw new AgentError(
          'unauthorized',
          `the Gorgone server at ${this.endpoint} refused the handshake: this agent's thumbprint is not in authorized_clients: add \`${authorizedClientsLine(this.#clientThumbprint)}\` under gorgonecore.authorized_clients on the server and restart gorgoned`,
        );
      }
      throw new AgentError('protocol', `unexpected plaintext answer to HELO from ${this.endpoint}`);
    }
    const keys = await decryptKeyAnswerAsync(answer, this.#decryptor);
    if (keys === undefined) {
      throw new AgentError(
        'protocol',
        `the [KEY] answer of ${this.endpoint} does not decrypt with this agent's key, or is not AES with PKCS#7 padding`,
      );
    }
    this.#keys = keys;
    this.#oldKeys = undefined;
    this.serverHostname = keys.hostname;
    this.handshakes++;
    this.state = 'ready';
    this.#options.log.info('gorgone handshake done', {
      server: this.endpoint,
      serverThumbprint: this.serverThumbprint,
      serverHostname: keys.hostname,
    });
  }

  async #checkServerKey(thumbprint: string, key: KeyObject): Promise<void> {
    const expected = this.#options.trust.thumbprint;
    if (expected !== undefined) {
      if (thumbprint !== expected) {
        this.#options.log.error('GORGONE SERVER KEY CHANGED: refused', {
          server: this.endpoint,
          pinned: expected,
          presented: thumbprint,
        });
        throw new AgentError(
          'untrusted-peer',
          `THE GORGONE SERVER KEY OF ${this.endpoint} CHANGED: expected thumbprint ${expected} (pinned, or given with --trust-thumbprint / --server-pubkey), the server presents ${thumbprint}. Refused: this can be an attack. If the server key was really replaced, check ${thumbprint} with the admin (gorgone_key_thumbprint.pl on the server) and pair again with --trust-thumbprint ${thumbprint}`,
        );
      }
    } else {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      const accepted = (await this.#options.trust.onFirstUse?.({ thumbprint, bits })) ?? false;
      if (!accepted) {
        throw new AgentError(
          'untrusted-peer',
          `the Gorgone server at ${this.endpoint} presents key thumbprint ${thumbprint}, which was not confirmed: compare it with the server's (gorgone_key_thumbprint.pl) and pass --trust-thumbprint ${thumbprint}`,
        );
      }
      // From now on (re-handshakes included) a different key is a changed key.
      this.#options.trust.thumbprint = thumbprint;
    }
    this.serverThumbprint = thumbprint;
  }
}
