/**
 * The agent as a push-mode Gorgone node (gorgone.md §1 "push mode", §2 server
 * socket, §4 server side of the handshake, §5 rotation, §9 core actions): a
 * ZMQ ROUTER on `external_com_path` that accepts only centrals whose key
 * thumbprint is in this agent's own authorized_clients list. OFF by default.
 */
import { hostname as osHostname } from 'node:os';
import { Router } from 'zeromq';
import { jwkThumbprint, parsePublicKey } from '../../identity/keys.ts';
import type { Logger } from '../../log.ts';
import { AGENT_VERSION } from '../../version.ts';
import {
  ProcessCopyReceiver,
  runCommandAction,
  sweepAbandonedCopies,
  type NodeActionEnv,
} from './actions.ts';
import {
  decryptFrame,
  encryptFrame,
  formatKeyMessage,
  formatPubkey,
  formatResponse,
  generateToken,
  GETPUBKEY,
  HANDSHAKE_ISSUE,
  looksLikeMessage,
  parseData,
  parseMessage,
  randomSessionKeys,
  rsaEncrypt,
  type SessionKeys,
} from './codec.ts';
import { asyncRsaDecryptor, type AsyncRsaDecryptor } from './rsa-offthread.ts';
import { historyFilterFrom } from './history.ts';
import {
  HANDSHAKE_QUEUE_LENGTH,
  LogBudget,
  MAX_FRAME_BYTES,
  MAX_HANDSHAKE_FRAME_BYTES,
  PeerBudgets,
  RECEIVE_HIGH_WATER_MARK,
  REFUSAL_LOG_BUDGET,
  RSA_BUDGET,
  screenHelo,
  TokenBucket,
} from './listener-guard.ts';
import { rowForWire } from './pull-node.ts';

/** §2: the server loop wakes at least every 5 s, which bounds rotation latency. */
const ROTATION_CHECK_MS = 5_000;
/** §5: sessions are purged 24 h after their last use (23.x refreshes mtime on each message). */
const SESSION_PURGE_SECONDS = 86_400;
const GETPUBKEY_BYTES = Buffer.from(GETPUBKEY, 'latin1');

export interface ListenerOptions {
  /** `HOST:PORT`, `*:5556` in the Centreon procedure (§1 external_com_path). */
  bind: string;
  /** This node's id as the central declares it (`- id: N`), shown in PONG. */
  nodeId: string | undefined;
  privateKeyPem: string;
  publicKeyPem: string;
  /** Read on every HELO, so edits apply without a restart. */
  authorizedClients(): ReadonlyArray<{ thumbprint: string }>;
  env: Omit<NodeActionEnv, 'who'>;
  log: Logger;
  /** §5 external_com_rotation, in seconds here (gorgone: minutes). */
  rotationSeconds: number;
  rotationCheckMs?: number;
  hostname?: string;
  /** listener-guard.ts's RSA_BUDGET and REFUSAL_LOG_BUDGET; tests shrink them. */
  guard?: {
    rsaBudget?: { burstMs: number; msPerSecond: number };
    refusalLog?: { lines: number; windowMs: number };
  };
}

interface ClientSession {
  keys: SessionKeys;
  oldKeys: SessionKeys | undefined;
  ctime: number;
  mtime: number;
  thumbprint: string;
}

export class GorgoneListener {
  readonly #options: ListenerOptions;
  readonly #router: Router;
  readonly #decryptor: AsyncRsaDecryptor;
  readonly #thumbprint: string;
  readonly #sessions = new Map<string, ClientSession>();
  readonly #copies = new ProcessCopyReceiver();
  readonly #hostname: string;
  readonly #peers = new PeerBudgets();
  readonly #rsaBudget: TokenBucket;
  readonly #refusalLog: LogBudget;
  readonly #pubkeyAnswer: string;
  readonly #handshakeQueue: Array<{ id: Buffer; key: string; payload: Buffer }> = [];
  #handshakeTurn: NodeJS.Immediate | undefined;
  #sendChain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #closed = false;
  /**
   * Counters for INFORMATION. `unauthenticated`: frames from `gorgone-` peers
   * that no session decrypts (GETPUBKEY, HELOs, garbage); each ends as one of
   * `pubkeys` (GETPUBKEY answered), `handshakes`, `refused` (answered `handshake
   * issue`) or `throttled` (dropped unanswered: a peer over its budget, the
   * queue full, or no RSA budget left for a HELO). `heloDecryptions`: RSA
   * private-key operations spent on HELOs.
   */
  readonly counters = {
    unauthenticated: 0,
    pubkeys: 0,
    handshakes: 0,
    refused: 0,
    throttled: 0,
    heloDecryptions: 0,
    messages: 0,
    rotations: 0,
  };

  constructor(options: ListenerOptions) {
    this.#options = options;
    this.#decryptor = asyncRsaDecryptor(options.privateKeyPem);
    this.#thumbprint = jwkThumbprint(parsePublicKey(options.publicKeyPem));
    this.#hostname = options.hostname ?? osHostname();
    this.#pubkeyAnswer = formatPubkey(options.publicKeyPem);
    const rsa = options.guard?.rsaBudget ?? RSA_BUDGET;
    this.#rsaBudget = new TokenBucket(rsa.burstMs, rsa.msPerSecond, performance.now());
    const logs = options.guard?.refusalLog ?? REFUSAL_LOG_BUDGET;
    this.#refusalLog = new LogBudget(logs.lines, logs.windowMs, performance.now());
    this.#router = new Router({
      routingId: 'router-external',
      linger: 0,
      handover: true,
      tcpKeepalive: 1,
      ipv6: true,
      // Issue #14: an unauthenticated 200 MiB frame was read whole before any check.
      maxMessageSize: MAX_FRAME_BYTES,
      receiveHighWaterMark: RECEIVE_HIGH_WATER_MARK,
    });
  }

  get thumbprint(): string {
    return this.#thumbprint;
  }

  /** The endpoint actually bound (port resolved when binding to :0). */
  get endpoint(): string | null {
    return this.#router.lastEndpoint;
  }

  async start(): Promise<void> {
    await this.#router.bind(`tcp://${this.#options.bind}`);
    this.#options.log.info('gorgone push-mode listener up', {
      bind: this.#options.bind,
      thumbprint: this.#thumbprint,
    });
    // Parts of transfers a previous run left behind (actions.ts); never rejects.
    void sweepAbandonedCopies(this.#options.env.processcopy, this.#options.log);
    this.#loop = this.#receiveLoop();
    this.#timer = setInterval(
      () => this.#tick(),
      this.#options.rotationCheckMs ?? ROTATION_CHECK_MS,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    clearImmediate(this.#handshakeTurn);
    this.#handshakeQueue.length = 0;
    this.#router.close();
    await this.#loop;
    await this.#copies.close(this.#options.log);
  }

  #send(id: Buffer, frame: string): void {
    this.#sendChain = this.#sendChain
      .then(() => this.#router.send([id, frame]))
      .catch((error: unknown) =>
        this.#options.log.warn('gorgone listener send failed', { error: (error as Error).message }),
      );
  }

  async #receiveLoop(): Promise<void> {
    try {
      for await (const [id, payload] of this.#router) {
        if (id === undefined || payload === undefined) continue;
        this.#onFrame(id, payload);
      }
    } catch (error) {
      if (!this.#closed)
        this.#options.log.error('gorgone listener stopped', { error: (error as Error).message });
    }
  }

  /** Refusals and throttling are logged within REFUSAL_LOG_BUDGET: a flood is one summary line. */
  #warnUnauthenticated(message: string, fields: Record<string, unknown>): void {
    if (this.#refusalLog.take(performance.now())) this.#options.log.warn(message, fields);
  }

  #onFrame(id: Buffer, payload: Buffer): void {
    // §2: gorgoned drops every routing id not starting with `gorgone-`.
    if (!id.toString('latin1').startsWith('gorgone-')) {
      this.#warnUnauthenticated(
        'gorgone listener: frame from a routing id not starting with gorgone- dropped',
        { bytes: payload.length },
      );
      return;
    }
    const key = id.toString('hex');
    const session = this.#sessions.get(key);
    if (session !== undefined && !payload.equals(GETPUBKEY_BYTES)) {
      const frame = payload.toString('latin1');
      let plain = decryptFrame(session.keys, frame);
      if (plain === undefined || !looksLikeMessage(plain)) {
        plain = session.oldKeys === undefined ? undefined : decryptFrame(session.oldKeys, frame);
      }
      if (plain !== undefined && looksLikeMessage(plain)) {
        session.mtime = Date.now() / 1000;
        this.counters.messages++;
        this.#dispatch(id, session, plain);
        return;
      }
    }
    // Unauthenticated from here (GETPUBKEY, HELO, or what does not decrypt, §4 step 4):
    // the peer's budget and the size cap, then a short queue handled one frame per
    // event-loop turn, so that session frames read in between go first during a flood.
    this.counters.unauthenticated++;
    if (!this.#peers.take(key, performance.now())) {
      this.counters.throttled++;
      this.#warnUnauthenticated('gorgone listener: peer over its handshake budget, frame dropped', {
        bytes: payload.length,
      });
      return;
    }
    if (payload.length > MAX_HANDSHAKE_FRAME_BYTES) {
      this.#refuse(id, `a ${payload.length}-byte frame is not a handshake`, {});
      return;
    }
    if (this.#handshakeQueue.length >= HANDSHAKE_QUEUE_LENGTH) {
      this.counters.throttled++;
      this.#warnUnauthenticated('gorgone listener: handshake queue full, frame dropped', {
        bytes: payload.length,
      });
      return;
    }
    this.#handshakeQueue.push({ id, key, payload });
    this.#handshakeTurn ??= setImmediate(() => this.#nextHandshake());
  }

  #nextHandshake(): void {
    this.#handshakeTurn = undefined;
    const next = this.#handshakeQueue.shift();
    if (next === undefined || this.#closed) return;
    try {
      this.#unauthenticated(next.id, next.key, next.payload);
    } catch (error) {
      // Not expected (refusals are values); one frame must not stop the listener.
      this.#options.log.error('gorgone listener: handshake frame failed', {
        error: (error as Error).message,
      });
    }
    if (this.#handshakeQueue.length > 0) {
      this.#handshakeTurn = setImmediate(() => this.#nextHandshake());
    }
  }

  /** GETPUBKEY, or a HELO: cheap checks first, the RSA operation (#helo) last. */
  #unauthenticated(id: Buffer, key: string, payload: Buffer): void {
    const frame = payload.toString('latin1');
    if (frame === GETPUBKEY) {
      this.counters.pubkeys++;
      this.#send(id, this.#pubkeyAnswer);
      return;
    }
    this.#helo(id, key, frame).catch((error: unknown) =>
      this.#options.log.warn('gorgone listener: HELO failed', { error: (error as Error).message }),
    );
  }

  #refuse(id: Buffer, reason: string, fields: Record<string, unknown>): void {
    this.counters.refused++;
    this.#warnUnauthenticated(`gorgone listener refused a client: ${reason}`, fields);
    this.#send(id, HANDSHAKE_ISSUE);
  }

  async #helo(id: Buffer, key: string, frame: string): Promise<void> {
    const screened = screenHelo(frame, Math.ceil(this.#decryptor.bits / 8), (thumbprint) =>
      this.#options.authorizedClients().some((c) => c.thumbprint === thumbprint),
    );
    if (screened.refused !== undefined) return this.#refuse(id, screened.refused, screened.fields);
    const { helo, clientKey, thumbprint } = screened;
    // The one costly step, within the listener's RSA budget; over it, no answer (the
    // central's handshake times out and it retries, §10).
    if (!this.#rsaBudget.positive(performance.now())) {
      this.counters.throttled++;
      this.#warnUnauthenticated('gorgone listener: HELO dropped, RSA budget spent', {
        name: helo.name,
        clientThumbprint: thumbprint,
      });
      return;
    }
    const started = performance.now();
    // Off the event loop when node-forge does it (rsa-offthread.ts); the budget then
    // counts the wait too, which only makes it stricter.
    const plain = await this.#decryptor.decrypt(helo.encryptedHelo);
    this.#rsaBudget.spend(performance.now() - started, performance.now());
    this.counters.heloDecryptions++;
    if (plain?.toString('latin1') !== 'HELO') {
      return this.#refuse(id, 'HELO does not decrypt with this agent key', {
        name: helo.name,
        clientThumbprint: thumbprint,
      });
    }
    const keys = randomSessionKeys(this.#hostname);
    let answer: string;
    try {
      answer = rsaEncrypt(clientKey, formatKeyMessage(keys)).toString('base64');
    } catch {
      return this.#refuse(id, '[KEY] does not fit the client key', { name: helo.name });
    }
    const now = Date.now() / 1000;
    this.#sessions.set(key, { keys, oldKeys: undefined, ctime: now, mtime: now, thumbprint });
    this.counters.handshakes++;
    this.#options.log.info('gorgone listener: central connected', {
      name: helo.name,
      clientThumbprint: thumbprint,
    });
    this.#send(id, answer);
  }

  /** Every rotationCheckMs: rotation, forgotten idle peers, the refusal summary line. */
  #tick(): void {
    this.#rotate();
    const now = performance.now();
    this.#peers.prune(now);
    const suppressed = this.#refusalLog.drain(now);
    if (suppressed > 0) {
      this.#options.log.warn(
        `gorgone listener: ${suppressed} more refused or dropped unauthenticated frames were not logged in the last ${Math.round(this.#refusalLog.windowMs / 1000)} s`,
        { suppressed },
      );
    }
  }

  /** §5: rotate keys older than the rotation period, `[KEY]` under the old key; purge idle sessions. */
  #rotate(): void {
    const now = Date.now() / 1000;
    for (const [hexId, session] of this.#sessions) {
      if (now - session.mtime > SESSION_PURGE_SECONDS) {
        this.#sessions.delete(hexId);
        continue;
      }
      if (now - session.ctime <= this.#options.rotationSeconds) continue;
      const next = randomSessionKeys(this.#hostname);
      const frame = encryptFrame(session.keys, formatKeyMessage(next));
      session.oldKeys = session.keys;
      session.keys = next;
      session.ctime = now;
      this.counters.rotations++;
      this.#send(Buffer.from(hexId, 'hex'), frame);
    }
  }

  #reply(id: Buffer, session: ClientSession, line: string): void {
    this.#send(id, encryptFrame(session.keys, line));
  }

  #dispatch(id: Buffer, session: ClientSession, plain: string): void {
    const message = parseMessage(plain);
    if (message === undefined) {
      this.#reply(
        id,
        session,
        formatResponse('ACK', '', 1, { message: 'request not well formatted' }),
      );
      return;
    }
    // §3: an empty token gets a generated one; the reply carries it.
    const token = message.token === '' ? generateToken() : message.token;
    const data = parseData(message.data);
    const env: NodeActionEnv = { ...this.#options.env, who: `central ${session.thumbprint}` };
    const nodeId = this.#options.nodeId ?? '';
    this.#options.log.debug('gorgone listener request', { action: message.action });
    switch (message.action) {
      case 'PING':
        this.#reply(
          id,
          session,
          formatResponse('PONG', token, 0, {
            action: 'ping',
            message: 'ping ok',
            id: nodeId,
            hostname: this.#hostname,
            data: {},
          }),
        );
        return;
      case 'GETTHUMBPRINT':
        this.#reply(
          id,
          session,
          formatResponse('GETTHUMBPRINT', token, 2, {
            action: 'getthumbprint',
            message: 'ok',
            data: { thumbprint: this.#thumbprint },
          }),
        );
        return;
      case 'CONSTATUS':
        this.#reply(
          id,
          session,
          formatResponse('CONSTATUS', token, 0, { action: 'constatus', message: 'ok', data: {} }),
        );
        return;
      case 'INFORMATION':
        this.#reply(
          id,
          session,
          formatResponse('INFORMATION', token, 0, {
            action: 'information',
            message: 'ok',
            data: {
              version: `outpost ${AGENT_VERSION}`,
              modules: {},
              api_endpoints: {},
              counters: { ...this.counters },
            },
          }),
        );
        return;
      case 'GETLOG': {
        const filter = historyFilterFrom(data);
        try {
          const result = this.#options.env.history.query(filter).map(rowForWire);
          this.#reply(
            id,
            session,
            formatResponse('ACK', token, 0, { action: 'getlog', result, id: nodeId }),
          );
        } catch {
          this.#reply(
            id,
            session,
            formatResponse('ACK', token, 1, {
              action: 'getlog',
              message: 'need at least one filter',
            }),
          );
        }
        return;
      }
      case 'COMMAND':
        this.#reply(id, session, formatResponse('ACK', token, 0, null));
        void runCommandAction(env, token, data).catch((error: unknown) =>
          this.#options.log.error('gorgone COMMAND failed', { error: (error as Error).message }),
        );
        return;
      case 'PROCESSCOPY':
        this.#reply(id, session, formatResponse('ACK', token, 0, null));
        void this.#copies.handle(env, token, data);
        return;
      default:
        // §11: LOADMODULE, KILL, PUTLOG… are deliberately not served: unknown here.
        this.#reply(
          id,
          session,
          formatResponse('ACK', '', 1, {
            error: 'unknown_action',
            message: `action '${message.action}' is unknown`,
          }),
        );
    }
  }
}

/** The `register` module entry the central needs for this push node (§1). */
export function registerSnippet(nodeId: string | undefined, address: string, port: number): string {
  return [
    `- id: ${nodeId ?? '<N>'}`,
    '  type: push_zmq',
    `  address: ${address}`,
    `  port: ${port}`,
  ].join('\n');
}
