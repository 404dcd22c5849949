/**
 * Runs each check at its interval. Properties (issue #10):
 * - first runs spread at random over min(interval, INITIAL_SPREAD_MS), so a
 *   start with many checks is no thundering herd;
 * - never two runs of one check at once: a slot that comes while the previous
 *   run is still going (or waiting for a free runner) is skipped and counted;
 * - due times are wall-clock and the timer never sleeps longer than
 *   MAX_SLEEP_MS, so after the machine slept (monotonic timers stop, the wall
 *   clock does not) every overdue check runs once, then keeps its interval
 *   from now: missed slots are caught up once, not N times;
 * - at most `maxConcurrent` runs at once, the others wait in FIFO order.
 */
export interface SchedulerClock {
  /** Wall-clock milliseconds. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export const INITIAL_SPREAD_MS = 60_000;
export const MAX_SLEEP_MS = 1_000;

export interface Schedulable {
  name: string;
  /** Seconds. */
  interval: number;
}

export interface SchedulerOptions<D extends Schedulable> {
  /** Runs one check; `scheduledAt` is the slot's wall-clock time in ms. Must not throw. */
  execute(def: D, scheduledAt: number): Promise<void>;
  maxConcurrent: number;
  clock?: SchedulerClock;
  random?: () => number;
  /** Told when a slot is skipped because the previous run has not finished. */
  onSkip?(def: D, scheduledAt: number): void;
}

interface Entry<D> {
  def: D;
  due: number;
  busy: boolean;
  skipped: number;
  removed: boolean;
}

export interface ScheduleInfo {
  name: string;
  nextRunAt: number;
  running: boolean;
  skipped: number;
}

export class CheckScheduler<D extends Schedulable> {
  readonly #options: SchedulerOptions<D>;
  readonly #clock: SchedulerClock;
  readonly #random: () => number;
  readonly #entries = new Map<string, Entry<D>>();
  readonly #ready: Array<{ entry: Entry<D>; scheduledAt: number }> = [];
  readonly #inFlight = new Set<Promise<void>>();
  #timer: unknown;
  #started = false;

  constructor(options: SchedulerOptions<D>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  /** Adds, changes and drops checks; a changed interval gets a new jittered first slot. */
  setDefinitions(defs: readonly D[]): void {
    const now = this.#clock.now();
    const seen = new Set<string>();
    for (const def of defs) {
      seen.add(def.name);
      const existing = this.#entries.get(def.name);
      if (existing !== undefined && existing.def.interval === def.interval) {
        existing.def = def;
        continue;
      }
      const spread = Math.min(def.interval * 1000, INITIAL_SPREAD_MS);
      const entry: Entry<D> = {
        def,
        due: now + Math.floor(this.#random() * spread),
        busy: existing?.busy ?? false,
        skipped: existing?.skipped ?? 0,
        removed: false,
      };
      if (existing !== undefined) existing.removed = true;
      this.#entries.set(def.name, entry);
    }
    for (const [name, entry] of this.#entries) {
      if (!seen.has(name)) {
        entry.removed = true;
        this.#entries.delete(name);
      }
    }
    if (this.#started) this.#arm();
  }

  start(): void {
    this.#started = true;
    this.#arm();
  }

  /** Stops scheduling and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#ready.length = 0;
    await Promise.all([...this.#inFlight]);
  }

  schedule(): ScheduleInfo[] {
    return [...this.#entries.values()].map((e) => ({
      name: e.def.name,
      nextRunAt: e.due,
      running: e.busy,
      skipped: e.skipped,
    }));
  }

  get running(): number {
    return this.#inFlight.size;
  }

  #arm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    if (!this.#started || this.#entries.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const e of this.#entries.values()) if (e.due < next) next = e.due;
    const delay = Math.max(0, Math.min(next - this.#clock.now(), MAX_SLEEP_MS));
    this.#timer = this.#clock.setTimer(() => this.#tick(), delay);
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#started) return;
    const now = this.#clock.now();
    for (const entry of this.#entries.values()) {
      if (entry.due > now) continue;
      const scheduledAt = entry.due;
      const period = entry.def.interval * 1000;
      // One catch-up run at most: if a whole period was missed, re-phase from now.
      entry.due = scheduledAt + period > now ? scheduledAt + period : now + period;
      if (entry.busy) {
        entry.skipped++;
        this.#options.onSkip?.(entry.def, scheduledAt);
        continue;
      }
      entry.busy = true;
      this.#ready.push({ entry, scheduledAt });
    }
    this.#pump();
    this.#arm();
  }

  #pump(): void {
    while (this.#inFlight.size < this.#options.maxConcurrent && this.#ready.length > 0) {
      const { entry, scheduledAt } = this.#ready.shift()!;
      if (entry.removed) {
        entry.busy = false;
        continue;
      }
      const run: Promise<void> = this.#options
        .execute(entry.def, scheduledAt)
        .catch(() => undefined)
        .finally(() => {
          entry.busy = false;
          this.#inFlight.delete(run);
          if (this.#started) this.#pump();
        });
      this.#inFlight.add(run);
    }
  }
}
