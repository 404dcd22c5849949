import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { QueueContext } from '../context.ts';
import { AgentError, toAgentError } from '../contract/errors.ts';
import type { DeliveryContext } from '../targets/driver.ts';
import { splitQueueAddress, type TargetRecord } from '../contract/targets.ts';
import { BatchedWrites } from './batched-writes.ts';
import { backoffDelayMs } from './retry.ts';
import type { QueueClock, TransferQueue } from './service.ts';
import { readQueueSettings } from './settings.ts';
import { type QueueSettings } from '../contract/queue-settings.ts';
import { removeSpooled } from './spool.ts';
import type { StoredItem } from './store.ts';

export interface SchedulerOptions {
  clock?: QueueClock;
  random?: () => number;
  /**
   * How often the database is checked for items another process enqueued
   * while the queue is busy. At rest the check backs off to IDLE_POLL_MS, and
   * a change of the database's files (another process's write) ends the wait.
   */
  pollMs?: number;
  /** The longest wait at rest (default IDLE_POLL_MS). */
  idlePollMs?: number;
  /** After shutdown is asked, in-flight items get this long to finish before they are aborted. */
  shutdownGraceMs?: number;
}

/** Minimum time between two progress events (and bytes_sent writes) of one item. */
const PROGRESS_INTERVAL_MS = 250;
const HOUSEKEEPING_INTERVAL_MS = 60_000;
/**
 * The longest wait at rest (issue #17 "light at rest"): polling every 300 ms
 * cost an agent with nothing to send ~0.27 % of a core. Each quiet check
 * doubles the wait up to this; an enqueue in this process, a write to the
 * database by another (file watch) or a retry coming due ends it sooner.
 */
export const IDLE_POLL_MS = 5_000;

/**
 * Delivers the queue: one worker per target, up to `concurrency` targets at
 * once, each keeping up to its driver's `window` items in flight in FIFO order.
 * An item leaves `sending` only when the driver resolves (the server's
 * acknowledgement) or rejects (transient → back to queued with backoff;
 * permanent → failed, kept and retryable).
 */
export class Scheduler {
  readonly #ctx: QueueContext;
  readonly #queue: TransferQueue;
  readonly #clock: QueueClock;
  readonly #random: () => number;
  readonly #pollMs: number;
  readonly #idlePollMs: number;
  readonly #graceMs: number;
  readonly #workers = new Map<string, Promise<void>>();
  readonly #writes: BatchedWrites;
  /** Whoever waits (the loop, workers for a retry): ended early by `#wakeAll`. */
  readonly #sleepers = new Set<{ wake(): void; longerThanPoll: boolean }>();
  #settings: QueueSettings;

  constructor(ctx: QueueContext, queue: TransferQueue, options: SchedulerOptions = {}) {
    this.#ctx = ctx;
    this.#queue = queue;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#random = options.random ?? Math.random;
    this.#pollMs = options.pollMs ?? 300;
    this.#idlePollMs = options.idlePollMs ?? IDLE_POLL_MS;
    this.#graceMs = options.shutdownGraceMs ?? 5_000;
    this.#settings = readQueueSettings(ctx.settings);
    this.#writes = new BatchedWrites(queue.store, () => this.#clock.now());
  }

  async run(signal: AbortSignal): Promise<void> {
    const itemAbort = new AbortController();
    let graceTimer: NodeJS.Timeout | undefined;
    const onStop = (): void => {
      this.#wakeAll();
      graceTimer = setTimeout(() => itemAbort.abort(), this.#graceMs);
    };
    signal.addEventListener('abort', onStop, { once: true });
    const unsubscribe = this.#queue.onEnqueue(() => this.#wakeAll());
    const watcher = this.#watchDatabase();
    let lastVersion = -1;
    let lastHousekeeping = 0;
    let wait = this.#pollMs;
    try {
      while (!signal.aborted) {
        const version = this.#queue.store.dataVersion();
        const changed = version !== lastVersion;
        if (changed) {
          lastVersion = version;
          this.#settings = readQueueSettings(this.#ctx.settings);
        }
        if (this.#clock.now() - lastHousekeeping > HOUSEKEEPING_INTERVAL_MS) {
          lastHousekeeping = this.#clock.now();
          await this.#housekeeping();
        }
        this.#startWorkers(signal, itemAbort.signal);
        wait =
          changed || this.#workers.size > 0 ? this.#pollMs : Math.min(wait * 2, this.#idlePollMs);
        await this.#sleep(Math.max(wait, this.#pollMs));
      }
      await Promise.all(this.#workers.values());
    } finally {
      unsubscribe();
      watcher?.close();
      signal.removeEventListener('abort', onStop);
      if (graceTimer !== undefined) clearTimeout(graceTimer);
    }
  }

  /**
   * Another process writing the database (`outpost tentacle send --queue`,
   * the tray app beside `outpost run`) changes its files: a wait longer than
   * the busy poll ends then. Shorter waits are left alone, so that a burst of
   * writes costs no burst of wake-ups. Without a watch (unsupported file
   * system, no inotify slot left) the waits are simply the only check.
   */
  #watchDatabase(): FSWatcher | undefined {
    try {
      const watcher = watch(dirname(this.#ctx.paths.queueDb), { persistent: false }, () => {
        for (const sleeper of [...this.#sleepers]) if (sleeper.longerThanPoll) sleeper.wake();
      });
      watcher.on('error', () => watcher.close());
      return watcher;
    } catch {
      return undefined;
    }
  }

  #wakeAll(): void {
    for (const sleeper of [...this.#sleepers]) sleeper.wake();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = { wake: done, longerThanPoll: ms > this.#pollMs };
      const timer = setTimeout(done, ms);
      const sleepers = this.#sleepers;
      sleepers.add(sleeper);
      function done(): void {
        clearTimeout(timer);
        sleepers.delete(sleeper);
        resolve();
      }
    });
  }

  async #housekeeping(): Promise<void> {
    await this.#queue.expireOld(this.#settings);
    if (this.#settings.keepFinishedHours > 0) {
      this.#queue.store.pruneFinished(
        this.#clock.now() - this.#settings.keepFinishedHours * 3_600_000,
      );
    }
  }

  #startWorkers(stop: AbortSignal, itemSignal: AbortSignal): void {
    if (this.#settings.paused) return;
    for (const address of this.#queue.store.targetsWithQueued()) {
      if (this.#workers.size >= this.#settings.concurrency) return;
      if (this.#workers.has(address)) continue;
      const target = this.#ctx.targets.find(splitQueueAddress(address).target);
      if (target === undefined || target.paused || !this.#ctx.targets.hasDriver(target.kind))
        continue;
      const worker = this.#work(target, address, stop, itemSignal).finally(() => {
        this.#workers.delete(address);
        this.#wakeAll();
      });
      this.#workers.set(address, worker);
    }
  }

  /**
   * One queue address (a target, or one of its copy destinations): FIFO, up
   * to `window` in flight, until nothing is due or we stop.
   */
  async #work(
    target: TargetRecord,
    address: string,
    stop: AbortSignal,
    itemSignal: AbortSignal,
  ): Promise<void> {
    const driver = this.#ctx.targets.driver(target.kind);
    const window = Math.max(1, driver.window);
    const { destination } = splitQueueAddress(address);
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      const current = this.#ctx.targets.find(target.name);
      if (stop.aborted || current === undefined || current.paused || this.#settings.paused) break;
      const room = window - inFlight.size;
      const next = room > 0 ? this.#queue.store.nextQueued(address, room) : [];
      const now = this.#clock.now();
      // Strict FIFO: an item waiting for its retry time holds back the ones behind it.
      const due: StoredItem[] = [];
      for (const item of next) {
        if (item.nextAttemptAt > now) break;
        due.push(item);
      }
      for (const item of this.#startSending(due)) {
        const run = this.#deliver(current, item, itemSignal, destination).finally(() =>
          inFlight.delete(run),
        );
        inFlight.add(run);
      }
      if (inFlight.size === 0) {
        const head = next[0];
        if (head === undefined) break;
        // Until the head's retry is due: an enqueue, a retry asked now or another process's
        // write wakes it sooner (a target that is down costs no poll every 300 ms).
        await this.#sleep(Math.min(Math.max(head.nextAttemptAt - now, 10), this.#idlePollMs));
        continue;
      }
      if (due.length === 0 || inFlight.size >= window) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  }

  /**
   * Marks a batch `sending` in one transaction and returns the items to send;
   * results older than one already delivered for the same object are
   * cancelled instead (a result never goes back in time).
   */
  #startSending(due: StoredItem[]): StoredItem[] {
    if (due.length === 0) return [];
    const store = this.#queue.store;
    const now = this.#clock.now();
    const send: StoredItem[] = [];
    const superseded: StoredItem[] = [];
    store.transaction(() => {
      for (const item of due) {
        const newer = store.supersededBy(item);
        if (newer !== undefined) {
          item.state = 'cancelled';
          item.lastError = `superseded: a newer result for the same object (item ${newer.id}) was already delivered`;
          superseded.push(item);
        } else {
          item.state = 'sending';
          item.attempts += 1;
          item.bytesSent = 0;
          send.push(item);
        }
        store.update(item, now);
      }
    });
    for (const item of [...superseded, ...send]) this.#queue.emitItem(item);
    return send;
  }

  /** Sends one item already marked `sending`; its outcome is written with its neighbours'. */
  async #deliver(
    target: TargetRecord,
    item: StoredItem,
    signal: AbortSignal,
    destination: string | undefined,
  ): Promise<void> {
    const started = this.#clock.now();
    let lastEmit = 0;
    const context: DeliveryContext = {
      signal,
      ...(destination === undefined ? {} : { destination }),
      progress: (bytesSent) => {
        const now = this.#clock.now();
        if (now - lastEmit < PROGRESS_INTERVAL_MS && bytesSent < item.bytesTotal) return;
        lastEmit = now;
        item.bytesSent = bytesSent;
        const seconds = Math.max((now - started) / 1000, 0.001);
        const rate = bytesSent / seconds;
        this.#ctx.events.emit('queue.progress', {
          id: item.id,
          target: item.target,
          bytesSent,
          bytesTotal: item.bytesTotal,
          rateBytesPerSecond: Math.round(rate),
          etaSeconds:
            rate > 0 ? Math.max(0, Math.round((item.bytesTotal - bytesSent) / rate)) : undefined,
        });
      },
    };
    try {
      await this.#ctx.targets.driver(target.kind).deliver(target, item, context);
      item.state = 'delivered';
      item.deliveredAt = this.#clock.now();
      item.bytesSent = item.bytesTotal;
      item.lastError = undefined;
      if (!(await this.#persist(item))) return;
      if (item.payload.kind === 'file') await removeSpooled(item.payload.file.path);
      this.#ctx.log.info('delivered', {
        id: item.id,
        target: item.target,
        kind: item.payload.kind,
        attempts: item.attempts,
      });
    } catch (raw) {
      const error = toAgentError(raw);
      if (signal.aborted) {
        // Shutdown cut it off: not the item's fault, it is simply sent again next time.
        item.state = 'queued';
        item.attempts -= 1;
        item.nextAttemptAt = this.#clock.now();
      } else if (error.transient || !(raw instanceof AgentError)) {
        item.state = 'queued';
        item.nextAttemptAt =
          this.#clock.now() + backoffDelayMs(item.attempts, this.#settings.backoff, this.#random);
        item.lastError = error.message;
        this.#ctx.log.warn('delivery failed, will retry', {
          id: item.id,
          target: item.target,
          attempts: item.attempts,
          error: error.message,
        });
      } else {
        item.state = 'failed';
        item.lastError = error.message;
        this.#ctx.log.error('delivery failed permanently', {
          id: item.id,
          target: item.target,
          error: error.message,
        });
        this.#ctx.events.emit('notice', {
          level: 'error',
          title: `Delivery to ${item.target} failed`,
          body: error.message,
          target: item.target,
        });
      }
      if (!(await this.#persist(item))) return;
    }
    this.#queue.emitItem(item);
  }

  /**
   * Writes an item's outcome. If the database refuses (locked past the busy
   * timeout, disk full) the item stays `sending` on disk: it is sent again
   * after a restart (at-least-once), and the spooled file is kept for that.
   */
  async #persist(item: StoredItem): Promise<boolean> {
    try {
      await this.#writes.write(item);
      return true;
    } catch (error) {
      this.#ctx.log.error(
        'queue: could not record a delivery outcome; the item will be sent again',
        {
          id: item.id,
          target: item.target,
          state: item.state,
          error: (error as Error).message,
        },
      );
      return false;
    }
  }
}
