/**
 * The connections of one target to the endpoints of its parent zone (Icinga
 * HA parents, issue #18). Icinga's rule: an agent connects to every endpoint
 * of its parent zone that has a host; the masters of a zone share check
 * results, so a result confirmed by either is in the zone. Deliveries go over
 * the first ready connection in the target's order of masters; what a
 * connection that closed had confirmed (the replay buffer, zone-log.ts) is
 * sent again over the next ready one, whichever master it reaches.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AgentError } from '../../contract/errors.ts';
import type { ConnectionState } from '../../contract/targets.ts';
import type { RpcConnection } from './connection.ts';
import type { IcingaMaster } from './config.ts';
import type { IcingaSession } from './session.ts';
import type { ZoneLog } from './zone-log.ts';

/** How often `settled` looks at the sessions' states. */
const SETTLE_POLL_MS = 50;

/** One master's connection as `status` reports it. */
export interface MasterSessionStatus {
  host: string;
  port: number;
  endpoint: string;
  state: ConnectionState;
  detail?: string;
  lastError?: string;
  /** Unix ms of the last result this master confirmed (in this process). */
  lastConfirmedAt?: number;
}

interface ReadySession {
  session: IcingaSession;
  connection: RpcConnection;
}

export class ZoneSessions {
  readonly sessions: readonly IcingaSession[];
  readonly zoneLog: ZoneLog;

  /**
   * `create` builds the session of one master; its options must carry
   * `zoneLog` and `onClosed` from the hooks so the sessions share one clock
   * and buffer and hand orphaned results to each other.
   */
  constructor(
    masters: readonly IcingaMaster[],
    zoneLog: ZoneLog,
    create: (
      master: IcingaMaster,
      hooks: { zoneLog: ZoneLog; onClosed: (session: IcingaSession) => void },
    ) => IcingaSession,
  ) {
    this.zoneLog = zoneLog;
    const onClosed = (closed: IcingaSession): void => {
      // At once, before the queue retries what was in flight on the closed
      // connection: re-sent results then reach the master before newer ones.
      this.sessions.find((s) => s !== closed && s.isReady)?.replayOrphans();
    };
    this.sessions = masters.map((master) => create(master, { zoneLog, onClosed }));
  }

  start(): void {
    for (const session of this.sessions) session.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.stop()));
  }

  reconnect(reason: string): void {
    for (const session of this.sessions) session.reconnect(reason);
  }

  /** The first ready session in the target's order of masters. */
  readySession(): IcingaSession | undefined {
    return this.sessions.find((s) => s.isReady);
  }

  /**
   * A ready session, waiting up to `timeoutMs` for any master to come up;
   * rejects (transient) naming every master and why it is not usable.
   */
  async ready(timeoutMs: number, signal?: AbortSignal): Promise<ReadySession> {
    const now = this.readySession();
    if (now !== undefined) return { session: now, connection: await now.ready(0, signal) };
    const first = new AbortController();
    const both = signal === undefined ? first.signal : AbortSignal.any([signal, first.signal]);
    try {
      return await Promise.any(
        this.sessions.map(async (session) => ({
          session,
          connection: await session.ready(timeoutMs, both),
        })),
      );
    } catch (error) {
      if (signal?.aborted === true)
        throw new AgentError('timeout', 'delivery cancelled', { transient: true });
      const reasons = (error as AggregateError).errors.map((e) => (e as Error).message);
      throw new AgentError(
        'unreachable',
        this.sessions.length === 1
          ? reasons[0]!
          : `no master of the parent zone is connected: ${reasons.join('; ')}`,
        { transient: true },
      );
    } finally {
      // The other masters' waits end with the first ready one.
      first.abort();
    }
  }

  /**
   * Until no master is still on its first attempt (each is ready or failed
   * once) or `timeoutMs` passed: what a one-shot status probe reports.
   */
  async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sessions.some((s) => s.state === 'connecting') && Date.now() < deadline)
      await delay(SETTLE_POLL_MS);
  }

  /** Ready when any master is; otherwise the first master's state. */
  get state(): ConnectionState {
    return this.readySession()?.state ?? this.sessions[0]!.state;
  }

  /** One master: its detail as before HA; several: each master's state. */
  get detail(): string | undefined {
    if (this.sessions.length === 1) return this.sessions[0]!.detail;
    return this.sessions
      .map(
        (s) => `${s.options.endpoint}: ${s.state}${s.detail === undefined ? '' : ` (${s.detail})`}`,
      )
      .join('; ');
  }

  /** Only when no master is usable: one that is down while another delivers is a detail, not an error. */
  get lastError(): string | undefined {
    if (this.readySession() !== undefined) return undefined;
    const errors = this.sessions.filter((s) => s.lastError !== undefined);
    if (errors.length <= 1) return errors[0]?.lastError;
    return errors.map((s) => `${s.options.endpoint}: ${s.lastError ?? ''}`).join('; ');
  }

  get lastConfirmedAt(): number | undefined {
    const times = this.sessions.flatMap((s) =>
      s.lastConfirmedAt === undefined ? [] : [s.lastConfirmedAt],
    );
    return times.length === 0 ? undefined : Math.max(...times);
  }

  get lastTs(): number {
    return this.zoneLog.lastTs;
  }

  masterStatus(): MasterSessionStatus[] {
    return this.sessions.map((s) => {
      const out: MasterSessionStatus = {
        host: s.options.host,
        port: s.options.port,
        endpoint: s.options.endpoint,
        state: s.state,
      };
      if (s.detail !== undefined) out.detail = s.detail;
      if (s.lastError !== undefined) out.lastError = s.lastError;
      if (s.lastConfirmedAt !== undefined) out.lastConfirmedAt = s.lastConfirmedAt;
      return out;
    });
  }
}
