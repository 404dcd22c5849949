/**
 * The agent as a Gorgone pull-mode node (gorgone.md §8): it connects out to
 * the central (fits desktops behind NAT), announces itself with REGISTERNODES
 * (also its keepalive), and answers what the central sends down the same
 * connection: PING → PONG, GETLOG → SETLOGS from the local history, COMMAND /
 * PROCESSCOPY under the opt-in policies, anything else → an `unknown_action` row.
 */
import { AgentError } from '../../contract/errors.ts';
import type { Logger } from '../../log.ts';
import {
  ProcessCopyReceiver,
  recordUnknownAction,
  runCommandAction,
  sweepAbandonedCopies,
  type NodeActionEnv,
} from './actions.ts';
import { formatResponse, parseData, routingId, type GorgoneMessage } from './codec.ts';
import { historyFilterFrom } from './history.ts';
import { GorgoneSession, type ClientKey, type ServerTrust } from './session.ts';

/** §8 step 2 / §10: gorgone's pull module checks every 60 s; `ping_timeout` 30 s. */
export const KEEPALIVE_INTERVAL_MS = 60_000;
/** Reconnect backoff after a failed handshake or a dead session: 1 s doubling to 60 s, full jitter. */
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

export type PullNodeState = 'connecting' | 'ready' | 'retrying' | 'failed' | 'stopped';

export interface PullNodeOptions {
  endpoint: string;
  nodeId: string;
  clientKey: ClientKey;
  trust: ServerTrust;
  env: Omit<NodeActionEnv, 'who'>;
  log: Logger;
  /** Shown in PONG (`hostname`). */
  hostname: string;
  /** Defaults to `gorgone-<node id>-<24 hex>` (§2); fixed only to replay a transcript. */
  identity?: string;
  keepaliveMs?: number;
  handshakeTimeoutMs?: number;
  requestTimeoutMs?: number;
  backoffMinMs?: number;
  onState?(state: PullNodeState, detail?: string): void;
}

export class PullNode {
  state: PullNodeState = 'connecting';
  lastError: AgentError | undefined;
  readonly #options: PullNodeOptions;
  readonly #copies = new ProcessCopyReceiver();
  #session: GorgoneSession | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  /** Resolves once a session is registered (tests, `pair`). */
  #readyWaiters: Array<{ resolve(): void; reject(error: AgentError): void }> = [];

  constructor(options: PullNodeOptions) {
    this.#options = options;
  }

  get session(): GorgoneSession | undefined {
    return this.#session;
  }

  start(): void {
    if (this.#loop !== undefined) return;
    // Parts of transfers a previous run left behind (actions.ts); never rejects.
    void sweepAbandonedCopies(this.#options.env.processcopy, this.#options.log);
    this.#loop = this.#run();
  }

  /** Resolves when registered; rejects with the first error that stops the node from retrying (auth, pin). */
  ready(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** Clean exit: UNREGISTERNODES (§8 step 3), then close. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const session = this.#session;
    if (session?.state === 'ready') {
      await session
        .request('UNREGISTERNODES', { nodes: [{ id: this.#options.nodeId }] }, { timeoutMs: 2_000 })
        .catch(() => undefined);
    }
    session?.close();
    this.#wake?.();
    await this.#loop;
    await this.#copies.close(this.#options.log);
    this.#setState('stopped');
    const stopped = new AgentError(
      'unreachable',
      `Gorgone pull node for ${this.#options.endpoint} stopped`,
    );
    for (const w of this.#readyWaiters.splice(0)) w.reject(stopped);
  }

  /** Sends the REGISTERNODES keepalive now (also what the timer does). */
  async keepalive(): Promise<void> {
    const session = this.#session;
    if (session === undefined)
      throw new AgentError('unreachable', 'not connected', { transient: true });
    await session.request('REGISTERNODES', this.#registration(session.identity));
  }

  #registration(identity: string): unknown {
    // §8 step 1; member order as gorgone's pull module emits it.
    return { nodes: [{ id: this.#options.nodeId, identity, type: 'pull' }] };
  }

  #setState(state: PullNodeState, detail?: string): void {
    this.state = state;
    this.#options.onState?.(state, detail);
    if (state === 'ready') for (const w of this.#readyWaiters.splice(0)) w.resolve();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      this.#setState(failures === 0 ? 'connecting' : 'retrying');
      const ended = new Promise<AgentError | undefined>((resolve) => {
        this.#wake = () => resolve(undefined);
      });
      let closedWith: (error: AgentError | undefined) => void = () => undefined;
      const closed = new Promise<AgentError | undefined>((resolve) => {
        closedWith = resolve;
      });
      try {
        const identity = this.#options.identity ?? routingId(this.#options.nodeId);
        this.#session = await GorgoneSession.open({
          endpoint: this.#options.endpoint,
          identity,
          name: `gorgone-${this.#options.nodeId}`,
          clientKey: this.#options.clientKey,
          trust: this.#options.trust,
          log: this.#options.log,
          ...(this.#options.handshakeTimeoutMs === undefined
            ? {}
            : { handshakeTimeoutMs: this.#options.handshakeTimeoutMs }),
          ...(this.#options.requestTimeoutMs === undefined
            ? {}
            : { requestTimeoutMs: this.#options.requestTimeoutMs }),
          onRequest: (message) => this.#onRequest(message),
          // §11: the central's node registry is in memory; re-register after every new session.
          onRehandshake: () => void this.keepalive().catch(() => undefined),
          onClosed: (error) => closedWith(error),
        });
        await this.keepalive();
        failures = 0;
        this.lastError = undefined;
        this.#setState('ready');
        const error = await this.#serve(Promise.race([closed, ended]));
        if (error !== undefined) throw error;
      } catch (error) {
        const agentError =
          error instanceof AgentError
            ? error
            : new AgentError('unreachable', (error as Error).message);
        this.#session?.close();
        this.#session = undefined;
        if (this.#stopped) break;
        this.lastError = agentError;
        failures++;
        this.#options.log.warn('gorgone pull node disconnected', {
          server: this.#options.endpoint,
          error: agentError.message,
        });
        // A refused key or a changed server key will not fix itself: report it, keep retrying slowly.
        if (agentError.code === 'unauthorized' || agentError.code === 'untrusted-peer') {
          this.#setState('failed', agentError.message);
          for (const w of this.#readyWaiters.splice(0)) w.reject(agentError);
        }
        const min = this.#options.backoffMinMs ?? BACKOFF_MIN_MS;
        const cap = Math.min(BACKOFF_MAX_MS, min * 2 ** Math.min(failures - 1, 10));
        await this.#sleep(min + Math.random() * (cap - min));
      }
    }
    this.#session?.close();
    this.#session = undefined;
  }

  /** Keepalive until the session ends; returns why it ended. */
  async #serve(done: Promise<AgentError | undefined>): Promise<AgentError | undefined> {
    const interval = this.#options.keepaliveMs ?? KEEPALIVE_INTERVAL_MS;
    let timer: NodeJS.Timeout | undefined;
    const keepaliveFailed = new Promise<AgentError>((resolve) => {
      timer = setInterval(() => {
        this.keepalive().catch((error: unknown) => {
          // §8 step 2: no answer within ping_timeout → close and reconnect with a new handshake.
          resolve(error instanceof AgentError ? error : new AgentError('timeout', String(error)));
        });
      }, interval);
    });
    try {
      return await Promise.race([done, keepaliveFailed]);
    } finally {
      clearInterval(timer);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #onRequest(message: GorgoneMessage): void {
    const session = this.#session;
    if (session === undefined) return;
    const env: NodeActionEnv = { ...this.#options.env, who: `central ${this.#options.endpoint}` };
    const data = parseData(message.data);
    switch (message.action) {
      case 'PING':
        // §8: the central reads data.id and data.data (our subnodes: none) and ignores the
        // token; an empty one keeps the frame identical to the recorded node's.
        session.sendLine(
          formatResponse('PONG', '', 0, {
            action: 'ping',
            data: {},
            hostname: this.#options.hostname,
            id: this.#options.nodeId,
            message: 'ping ok',
          }),
        );
        return;
      case 'GETLOG': {
        let result: unknown[] = [];
        try {
          result = this.#options.env.history.query(historyFilterFrom(data)).map(rowForWire);
        } catch (error) {
          this.#options.log.warn('gorgone GETLOG without filter: answering no rows', {
            error: (error as Error).message,
          });
        }
        session.sendLine(
          formatResponse('SETLOGS', message.token, 0, {
            action: 'getlog',
            id: this.#options.nodeId,
            result,
          }),
        );
        return;
      }
      case 'SYNCLOGS':
        return; // §8: nothing to answer
      case 'COMMAND':
        void runCommandAction(env, message.token, data).catch((error: unknown) =>
          this.#options.log.error('gorgone COMMAND failed', { error: (error as Error).message }),
        );
        return;
      case 'PROCESSCOPY':
        void this.#copies.handle(env, message.token, data);
        return;
      default:
        recordUnknownAction(env, message.token, message.action);
    }
  }
}

/** History rows with their members in gorgone's (alphabetical) order. */
export function rowForWire(row: {
  code: number;
  ctime: number;
  data: string;
  etime: number;
  id: number;
  instant: number;
  token: string;
}): unknown {
  return {
    code: row.code,
    ctime: row.ctime,
    data: row.data,
    etime: row.etime,
    id: row.id,
    instant: row.instant,
    token: row.token,
  };
}
