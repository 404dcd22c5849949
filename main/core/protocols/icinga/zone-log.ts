/**
 * What the connections to the endpoints of one parent zone share (Icinga HA
 * parents, issue #18): the `ts` of our messages and the replay buffer of
 * confirmed results (spec icinga2.md §2.4, §4.4). One per target; with a
 * single master it is that session's own log.
 */
import type { JsonObject } from './codec.ts';

/**
 * Confirmed messages kept until a log::SetLogPosition covers them (the
 * master sends one every 5 s, §2.4): at most this many; older ones are
 * dropped from the replay buffer (not from the queue: they were confirmed).
 */
export const REPLAY_BUFFER_MAX = 100_000;
/**
 * A master that is shutting down still answers ids and advances its log
 * position for results it then drops: icinga2 2.13 deactivates its objects
 * (ConfigObject::StopObjects) before the state dump, while connections stay
 * open, and Checkable::ProcessCheckResult returns early for an inactive
 * object. Neither acknowledgement proves the result survived the restart, so
 * the newest result per check object stays replayable for this long after
 * its confirmation, covered or not.
 */
export const REPLAY_GRACE_MS = 30_000;

export interface ReplayEntry {
  ts: number;
  method: string;
  params: JsonObject;
  /** The master endpoint that confirmed it: only its log position covers it. */
  endpoint: string;
  /** Date.now() of the id answer (or of the re-send, for replayed entries). */
  confirmedAt: number;
  /** A log::SetLogPosition of `endpoint` at or above `ts` arrived. */
  covered: boolean;
  /** `endpoint`'s connection closed: to be re-sent over the next ready connection of the zone. */
  orphan: boolean;
  /** The check object reported on (see replayKey). */
  key: string | undefined;
}

/** The check object a message reports on, so replays keep only the newest covered result per object. */
function replayKey(method: string, params: JsonObject): string | undefined {
  const { host, service } = params;
  if (typeof host !== 'string') return undefined;
  return JSON.stringify([method, host, typeof service === 'string' ? service : null]);
}

export class ZoneLog {
  #lastTs: number;
  /** In confirmation order; ts order within one endpoint. */
  #entries: ReplayEntry[] = [];

  constructor(initialTs: number) {
    this.#lastTs = initialTs;
  }

  /** Highest `ts` sent to or acknowledged by any master of the zone. */
  get lastTs(): number {
    return this.#lastTs;
  }

  /** Results that would be sent again on a reconnect. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * `ts` for the next message: never lower than anything sent to or
   * acknowledged by any master of the zone (§4.4). Each master drops a `ts`
   * below the highest it saw from us, so one clock serves all of them.
   */
  nextTs(): number {
    const now = Date.now() / 1000;
    this.#lastTs = Math.max(now, this.#lastTs + 1e-6);
    return this.#lastTs;
  }

  /** `endpoint` answered the id of a message sent with `ts`. */
  record(endpoint: string, ts: number, method: string, params: JsonObject): void {
    this.#entries.push({
      ts,
      method,
      params,
      endpoint,
      confirmedAt: Date.now(),
      covered: false,
      orphan: false,
      key: replayKey(method, params),
    });
    if (this.#entries.length > REPLAY_BUFFER_MAX) this.#entries.shift();
  }

  /** `log::SetLogPosition` of `endpoint`: what it covers needs no re-send unless within the grace window. */
  cover(endpoint: string, position: number): void {
    if (position > this.#lastTs) this.#lastTs = position;
    for (const entry of this.#entries) {
      if (entry.endpoint === endpoint && !entry.orphan && entry.ts <= position)
        entry.covered = true;
    }
    this.#dropSettled(Date.now(), undefined);
  }

  /**
   * `endpoint`'s connection closed at `closedAt`: what it confirmed and may
   * not have kept (see ZoneSessions) waits for the next ready connection of
   * the zone, which may be another master's.
   */
  orphan(endpoint: string, closedAt: number): void {
    this.#dropSettled(closedAt, endpoint);
    for (const entry of this.#entries) if (entry.endpoint === endpoint) entry.orphan = true;
  }

  /**
   * The orphans to send again over `endpoint`'s connection, now its entries,
   * with fresh `ts` and in their order. An orphan older than a result
   * another connection confirmed for the same object is dropped instead: the
   * master's state must never step back to it.
   */
  claimOrphans(endpoint: string): ReplayEntry[] {
    if (!this.#entries.some((e) => e.orphan)) return [];
    const newestLive = new Map<string, number>();
    for (const entry of this.#entries) {
      if (entry.orphan || entry.key === undefined) continue;
      newestLive.set(entry.key, Math.max(entry.ts, newestLive.get(entry.key) ?? 0));
    }
    const kept: ReplayEntry[] = [];
    const resend: ReplayEntry[] = [];
    for (const entry of this.#entries) {
      if (!entry.orphan) kept.push(entry);
      else if (entry.key === undefined || (newestLive.get(entry.key) ?? 0) < entry.ts)
        resend.push(entry);
    }
    const now = Date.now();
    for (const entry of resend) {
      entry.ts = this.nextTs();
      entry.endpoint = endpoint;
      entry.confirmedAt = now;
      entry.covered = false;
      entry.orphan = false;
    }
    this.#entries = [...kept, ...resend];
    return resend;
  }

  /**
   * Forgets covered entries (of `endpoint`, or of all) that can no longer
   * matter: older than REPLAY_GRACE_MS before `now`, or superseded by a newer
   * entry of the same check object (only the newest would be re-sent). So the
   * buffer holds at most one covered entry per object, whatever the result
   * rate.
   */
  #dropSettled(now: number, endpoint: string | undefined): void {
    const cutoff = now - REPLAY_GRACE_MS;
    const newer = new Set<string>();
    const kept: ReplayEntry[] = [];
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const entry = this.#entries[i]!;
      const superseded = entry.key !== undefined && newer.has(entry.key);
      const settled = entry.covered && (superseded || entry.confirmedAt < cutoff);
      if (settled && (endpoint === undefined || entry.endpoint === endpoint)) continue;
      if (entry.key !== undefined) newer.add(entry.key);
      kept.push(entry);
    }
    this.#entries = kept.reverse();
  }
}
