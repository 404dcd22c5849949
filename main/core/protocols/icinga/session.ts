/**
 * The agent's one long-lived connection to its Icinga master (spec icinga2.md
 * §2.5): TLS with the signed certificate, Hello first, heartbeats every 20 s,
 * 60 s of silence = dead, reconnect with backoff, and pipelined check results
 * confirmed by the master's response to their `id` (§2.4, §4.4).
 */
import { randomUUID } from 'node:crypto';
import { AgentError } from '../../contract/errors.ts';
import { inBackground } from '../../background.ts';
import type { Logger } from '../../log.ts';
import type { ConnectionState } from '../../contract/targets.ts';
import {
  AUTHENTICATED_MAX_PAYLOAD,
  heartbeatMessage,
  helloMessage,
  notification,
  setLogPositionMessage,
  zoneHostsFromConfigUpdate,
  type JsonObject,
  type RpcMessage,
} from './codec.ts';
import { openConnection, type RpcConnection } from './connection.ts';
import { ZoneLog } from './zone-log.ts';

/** §2.5 step 4: both sides send event::Heartbeat every 20 s. */
export const HEARTBEAT_INTERVAL_MS = 20_000;
/** §2.5 step 4: the master closes after 60 s without a byte; we treat its silence the same way. */
export const LIVENESS_TIMEOUT_MS = 60_000;
/** §2.5 step 5: Icinga's reconnect timer is 10 s; we start faster and cap there, with jitter. */
export const RECONNECT_MIN_MS = 1_000;
export const RECONNECT_MAX_MS = 10_000;
/** §2.5 step 3: config::Update follows the master's Hello at once; wait this long for it before sending. */
export const CONFIG_SYNC_WAIT_MS = 1_000;
/** How long the master may take to answer a check result's id (it answers in milliseconds when healthy). */
export const CONFIRM_TIMEOUT_MS = 60_000;

/** The spec's timings; tests of the state machine pass shorter ones. */
export interface SessionTiming {
  heartbeatMs: number;
  livenessMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  configSyncWaitMs: number;
}

export const SPEC_TIMING: SessionTiming = {
  heartbeatMs: HEARTBEAT_INTERVAL_MS,
  livenessMs: LIVENESS_TIMEOUT_MS,
  reconnectMinMs: RECONNECT_MIN_MS,
  reconnectMaxMs: RECONNECT_MAX_MS,
  configSyncWaitMs: CONFIG_SYNC_WAIT_MS,
};

export interface SessionTls {
  keyPem: string;
  certPem: string;
  caPem: string;
}

export interface SessionOptions {
  host: string;
  port: number;
  /** The master's endpoint name: SNI and the verified certificate name. */
  endpoint: string;
  zone: string;
  /** Read on every connect, so a renewed certificate is used without restarting (§3.8). */
  loadTls(): Promise<SessionTls>;
  log: Logger;
  /**
   * Highest `ts` we ever sent, persisted: the master drops anything lower (§2.4).
   * Only for a session without `zoneLog` (the zone's log carries it otherwise); default 0.
   */
  initialTs?: number;
  saveTs(ts: number): void;
  /**
   * The `ts` clock and replay buffer shared with the sessions to the other
   * masters of the zone (HA, issue #18); a session of its own without one.
   */
  zoneLog?: ZoneLog;
  /** After a connection closed and its results became orphans: another session of the zone may re-send them. */
  onClosed?(session: IcingaSession): void;
  /**
   * Capabilities bit mask for icinga::Hello (§2.5). Bit 0 (ExecuteArbitraryCommand) is for
   * `execute-command` API requests only; command-endpoint checks need no bit.
   */
  capabilities: number;
  onState?(state: ConnectionState, detail: string | undefined): void;
  /** Every message other than the ones the session handles itself. */
  onMessage?(message: RpcMessage, session: IcingaSession): void;
  /** Called once per established connection, after the master's Hello. */
  onReady?(session: IcingaSession): void;
  /**
   * False in one-shot processes (CLI `--now`, status probes): the connection
   * and its timers then do not keep the process alive after the command ended.
   */
  keepProcessAlive(): boolean;
  timing?: SessionTiming;
}

export class IcingaSession {
  readonly options: SessionOptions;
  #state: ConnectionState = 'idle';
  #detail: string | undefined;
  #connection: RpcConnection | undefined;
  #ready = false;
  #stopped = true;
  #attempt = 0;
  #timers: NodeJS.Timeout[] = [];
  #reconnectTimer: NodeJS.Timeout | undefined;
  #waiters = new Set<() => void>();
  readonly #log: ZoneLog;
  #maxInboundTs = 0;
  #ackedInboundTs = 0;
  /** Hosts of our zone as the master synced them (§4.3.3), when it did. */
  zoneHosts: Set<string> | undefined;
  masterVersion: number | undefined;
  lastConfirmedAt: number | undefined;
  lastError: string | undefined;

  readonly #timing: SessionTiming;

  constructor(options: SessionOptions) {
    this.options = options;
    this.#timing = options.timing ?? SPEC_TIMING;
    this.#log = options.zoneLog ?? new ZoneLog(options.initialTs ?? 0);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get detail(): string | undefined {
    return this.#detail;
  }

  get lastTs(): number {
    return this.#log.lastTs;
  }

  /** Results that would be sent again on a reconnect (see replayOrphans). */
  get replayBacklog(): number {
    return this.#log.size;
  }

  /** True while a connection is up and past the master's Hello: deliveries go through it. */
  get isReady(): boolean {
    return this.#ready && this.#connection !== undefined && !this.#connection.closed;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connectInBackground();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#connection?.close();
    this.#setState('idle', 'stopped');
    this.options.saveTs(this.#log.lastTs);
    for (const wake of this.#waiters) wake();
  }

  /** Drops the current connection and connects again at once (new certificate, §3.8). */
  reconnect(reason: string): void {
    this.options.log.info('icinga reconnecting', { reason });
    this.#attempt = 0;
    const connection = this.#connection;
    if (connection === undefined) {
      if (!this.#stopped) {
        clearTimeout(this.#reconnectTimer);
        this.#connectInBackground();
      }
      return;
    }
    connection.close();
  }

  /** Resolves with the ready connection, or rejects (transient) when none comes within `timeoutMs`. */
  async ready(timeoutMs: number, signal?: AbortSignal): Promise<RpcConnection> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.isReady) return this.#connection!;
      if (this.#stopped)
        throw new AgentError('unreachable', 'the Icinga session is stopped', { transient: true });
      if (signal?.aborted === true)
        throw new AgentError('timeout', 'delivery cancelled', { transient: true });
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AgentError(
          'unreachable',
          `not connected to the Icinga master ${this.options.endpoint} at ${this.options.host}:${this.options.port}${this.lastError === undefined ? '' : `: ${this.lastError}`}`,
          { transient: true },
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const onAbort = (): void => done();
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
        this.#waiters.add(done);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** `ts` for the next message: never lower than anything sent or acknowledged before (§4.4). */
  nextTs(): number {
    return this.#log.nextTs();
  }

  /**
   * Sends a notification with `id` + `ts` and resolves when the master
   * answered that id. The master answers only after its handler ran, and not
   * at all for a message it dropped for an old `ts` (§2.4), so the answer is
   * our delivery confirmation.
   */
  async confirmed(method: string, params: JsonObject, connection: RpcConnection): Promise<void> {
    const message = notification(method, params, {
      id: randomUUID(),
      ts: this.nextTs(),
    }) as JsonObject & { id: string };
    const answer = connection.request(message, CONFIRM_TIMEOUT_MS);
    if (connection.socket.writableNeedDrain) await connection.drained();
    const response = await answer;
    if (typeof response.error === 'string') {
      throw new AgentError(
        'refused',
        `the Icinga master failed to process ${method}: ${response.error.split('\n')[0] ?? ''}`,
      );
    }
    this.lastConfirmedAt = Date.now();
    this.#log.record(this.options.endpoint, message.ts as number, method, params);
  }

  /** A notification without confirmation (heartbeats, answers to ExecuteCommand). */
  send(message: JsonObject): void {
    const connection = this.#connection;
    if (connection === undefined || connection.closed) return;
    connection.send(message);
  }

  #connectInBackground(): void {
    inBackground(this.options.log, 'icinga connect', () => this.#connect());
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#setState(
      this.#attempt === 0 ? 'connecting' : 'retrying',
      `${this.options.host}:${this.options.port}`,
    );
    let connection: RpcConnection;
    try {
      const tls = await this.options.loadTls();
      connection = await openConnection({
        host: this.options.host,
        port: this.options.port,
        servername: this.options.endpoint,
        keyPem: tls.keyPem,
        certPem: tls.certPem,
        caPem: tls.caPem,
        maxPayload: AUTHENTICATED_MAX_PAYLOAD,
      });
    } catch (error) {
      this.lastError = (error as Error).message;
      const permanent =
        error instanceof AgentError && !error.transient && error.code !== 'untrusted-peer';
      this.#scheduleReconnect(permanent ? 'failed' : 'retrying');
      return;
    }
    if (this.#stopped) {
      connection.close();
      return;
    }
    this.#connection = connection;
    this.#unref(connection.socket);
    connection.onMessage((message) => this.#onMessage(message, connection));
    connection.onClose((error) => this.#onClose(connection, error));
    // §2.2: the master never speaks first.
    connection.send(helloMessage(this.options.capabilities));
    const heartbeat = setInterval(() => {
      this.send(heartbeatMessage());
      if (this.#maxInboundTs > this.#ackedInboundTs) {
        // §2.5 table: acknowledging replayed messages stops the master replaying them.
        this.#ackedInboundTs = this.#maxInboundTs;
        this.send(setLogPositionMessage(this.#maxInboundTs));
      }
    }, this.#timing.heartbeatMs);
    const liveness = setInterval(() => {
      if (performance.now() - connection.lastReceivedAt > this.#timing.livenessMs) {
        this.lastError = `nothing received from the master for ${this.#timing.livenessMs / 1000} s`;
        connection.close();
      }
    }, this.#timing.livenessMs / 6);
    this.#timers.push(this.#unref(heartbeat), this.#unref(liveness));
  }

  #unref<T extends { unref(): unknown }>(handle: T): T {
    if (!this.options.keepProcessAlive()) handle.unref();
    return handle;
  }

  #onMessage(message: RpcMessage, connection: RpcConnection): void {
    if (typeof message.ts === 'number' && message.ts > this.#maxInboundTs)
      this.#maxInboundTs = message.ts;
    switch (message.method) {
      case 'icinga::Hello': {
        const version = message.params?.version;
        this.masterVersion = typeof version === 'number' ? version : undefined;
        this.#timers.push(
          this.#unref(setTimeout(() => this.#markReady(connection), this.#timing.configSyncWaitMs)),
        );
        return;
      }
      case 'config::Update': {
        const hosts = zoneHostsFromConfigUpdate(message.params, this.options.zone);
        if (hosts !== undefined) this.zoneHosts = hosts;
        this.#markReady(connection);
        return;
      }
      case 'event::Heartbeat':
        return;
      case 'log::SetLogPosition': {
        const position = message.params?.log_position;
        if (typeof position === 'number') this.#log.cover(this.options.endpoint, position);
        this.options.saveTs(this.#log.lastTs);
        return;
      }
      default:
        this.options.onMessage?.(message, this);
    }
  }

  #markReady(connection: RpcConnection): void {
    if (this.#ready || connection !== this.#connection || connection.closed) return;
    this.#ready = true;
    this.#attempt = 0;
    this.lastError = undefined;
    this.#sendOrphans(connection);
    this.#setState('ready', `connected to ${this.options.endpoint}`);
    this.options.onReady?.(this);
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /**
   * Sends again, over this session's ready connection, what the zone's
   * closed connections had confirmed (see #sendOrphans). No-op while not
   * ready: the orphans then wait for the next ready connection of the zone.
   */
  replayOrphans(): void {
    if (this.isReady) this.#sendOrphans(this.#connection!);
  }

  /**
   * Sent again with fresh ts, before anything new on this connection: every
   * result no log::SetLogPosition of its master covered (that master may have
   * died before its state dump), and the newest covered result per check
   * object confirmed within REPLAY_GRACE_MS of the disconnect (a master
   * shutting down acknowledges results it drops, see REPLAY_GRACE_MS). Older
   * covered results of the same object are not re-sent, so the master's state
   * and history never step back to them. A duplicate of the newest is
   * harmless. With HA parents the connection may be another master's: the
   * zone's masters share their check results (issue #18).
   */
  #sendOrphans(connection: RpcConnection): void {
    const resend = this.#log.claimOrphans(this.options.endpoint);
    if (resend.length === 0) return;
    this.options.log.info('icinga re-sending results the master may not have kept', {
      count: resend.length,
      to: this.options.endpoint,
    });
    for (const entry of resend)
      connection.send(notification(entry.method, entry.params, { ts: entry.ts }));
  }

  #onClose(connection: RpcConnection, error: Error | undefined): void {
    if (connection !== this.#connection) return;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    this.#connection = undefined;
    this.#ready = false;
    this.#log.orphan(this.options.endpoint, Date.now());
    if (error !== undefined) this.lastError = error.message;
    else
      this.lastError ??=
        'the master closed the connection (another connection of this endpoint may still be open on the master, spec §2.5)';
    // stop() saved the log position already: a stopped session writes nothing after it returned.
    if (this.#stopped) return;
    this.options.saveTs(this.#log.lastTs);
    this.options.log.warn('icinga connection closed', { reason: this.lastError });
    this.options.onClosed?.(this);
    this.#scheduleReconnect('retrying');
  }

  #scheduleReconnect(state: ConnectionState): void {
    if (this.#stopped) return;
    const base = Math.min(
      this.#timing.reconnectMinMs * 2 ** this.#attempt,
      this.#timing.reconnectMaxMs,
    );
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt++;
    this.#setState(
      state,
      `${this.lastError ?? 'disconnected'}; next attempt in ${Math.round(delay / 1000)} s`,
    );
    this.#reconnectTimer = this.#unref(setTimeout(() => this.#connectInBackground(), delay));
    for (const wake of this.#waiters) wake();
  }

  #setState(state: ConnectionState, detail: string | undefined): void {
    const changed = state !== this.#state || detail !== this.#detail;
    this.#state = state;
    this.#detail = detail;
    if (changed) this.options.onState?.(state, detail);
  }
}
