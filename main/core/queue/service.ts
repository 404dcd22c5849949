import { statfsSync } from 'node:fs';
import { access, link } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueContext } from '../context.ts';
import { AgentError } from '../contract/errors.ts';
import { queueAddress, splitQueueAddress, type TargetRecord } from '../contract/targets.ts';
import type { QueueService } from './model.ts';
import { syncDir } from '../fsutil.ts';
import type {
  EnqueueRequest,
  ItemKind,
  ItemPayload,
  ItemState,
  QueueItem,
} from '../contract/queue-items.ts';
import { policyFor, readQueueSettings } from './settings.ts';
import { type QueueSettings } from '../contract/queue-settings.ts';
import { newItemId } from './item-id.ts';
import { copyIntoSpool, removeSpooled } from './spool.ts';
import type { NewItem, QueueStore, StoredItem } from './store.ts';
import { type QueueStats } from '../contract/queue.ts';

export interface QueueClock {
  now(): number;
}

export const systemClock: QueueClock = { now: () => Date.now() };

/** Free bytes on the disk holding `dir` (statfs); injectable so tests can simulate a full disk. */
export type FreeSpaceProbe = (dir: string) => Promise<number>;

// statfs is a few microseconds: the sync call saves every enqueue a thread-pool round trip.
export const statfsProbe: FreeSpaceProbe = async (dir) => {
  const info = statfsSync(dir);
  return Number(info.bavail) * Number(info.bsize);
};

const STATES: readonly ItemState[] = ['queued', 'sending', 'delivered', 'failed', 'cancelled'];

function zeroCounts(): Record<ItemState, number> {
  return { queued: 0, sending: 0, delivered: 0, failed: 0, cancelled: 0 };
}

/** host!service: check results of one object are never delivered out of order. */
export function objectKeyOf(payload: ItemPayload): string | undefined {
  if (payload.kind === 'check-result')
    return `${payload.result.host}!${payload.result.service ?? ''}`;
  if (payload.kind === 'value') return `value!${payload.value.valueId}`;
  return undefined;
}

/**
 * The enqueue side of the durable queue (any process may use it) and the
 * commands on items. Delivery is the Scheduler's job.
 */
export class TransferQueue implements QueueService {
  readonly #ctx: QueueContext;
  readonly #store: QueueStore;
  readonly #clock: QueueClock;
  readonly #freeSpace: FreeSpaceProbe;
  readonly #wakeListeners = new Set<() => void>();

  constructor(
    ctx: QueueContext,
    store: QueueStore,
    options: { clock?: QueueClock; freeSpace?: FreeSpaceProbe } = {},
  ) {
    this.#ctx = ctx;
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
    this.#freeSpace = options.freeSpace ?? statfsProbe;
  }

  get store(): QueueStore {
    return this.#store;
  }

  onEnqueue(listener: () => void): () => void {
    this.#wakeListeners.add(listener);
    return () => this.#wakeListeners.delete(listener);
  }

  get(id: string): QueueItem | undefined {
    return this.#store.get(id);
  }

  require(id: string): StoredItem {
    const item = this.#store.get(id);
    if (item === undefined)
      throw new AgentError('not-found', `no queue item '${id}'`, { field: 'id' });
    return item;
  }

  async enqueue(request: EnqueueRequest): Promise<QueueItem[]> {
    return this.enqueueMany([request]);
  }

  /**
   * Durable, all-or-nothing enqueue of one or more requests, each fanned out to
   * its targets (one item per target). Resolves only once every item and every
   * spooled byte is on disk.
   */
  async enqueueMany(requests: readonly EnqueueRequest[]): Promise<QueueItem[]> {
    const settings = readQueueSettings(this.#ctx.settings);
    const now = this.#clock.now();
    const planned: Array<{ request: EnqueueRequest; targets: TargetRecord[] }> = [];
    // One look at each target per call, however many requests name it.
    const checked = new Map<string, TargetRecord>();
    for (const request of requests) {
      const names = [...new Set(request.targets)];
      if (names.length === 0) {
        throw new AgentError('invalid-request', 'targets: name at least one paired target', {
          field: 'targets',
        });
      }
      const targets = names.map((name) => {
        const key = `${name}\0${request.kind}`;
        let target = checked.get(key);
        if (target === undefined)
          checked.set(key, (target = this.#checkTarget(name, request.kind)));
        return target;
      });
      planned.push({ request, targets });
    }

    const items: NewItem[] = [];
    const spooled: string[] = [];
    try {
      for (const { request, targets } of planned) {
        items.push(...(await this.#materialize(request, targets, now, spooled)));
      }
      const newBytes = items.reduce((sum, item) => sum + item.bytesTotal, 0);
      await this.#enforceCaps(settings, items, newBytes);
      this.#store.insert(items);
    } catch (error) {
      for (const path of spooled) await removeSpooled(path);
      throw error;
    }
    const stored = items.map(queuedItem);
    for (const item of stored) this.#emitItem(item);
    for (const wake of this.#wakeListeners) wake();
    return stored;
  }

  #checkTarget(name: string, kind: ItemKind): TargetRecord {
    const target = this.#ctx.targets.get(name, 'targets');
    if (this.#ctx.targets.hasDriver(target.kind)) {
      const driver = this.#ctx.targets.driver(target.kind);
      if (!driver.accepts.includes(kind)) {
        throw new AgentError(
          'invalid-request',
          `target '${name}' (${target.kind}) does not take ${kind} items: it takes ${driver.accepts.join(', ')}`,
          { field: 'targets' },
        );
      }
    }
    return target;
  }

  async #materialize(
    request: EnqueueRequest,
    targets: TargetRecord[],
    now: number,
    spooled: string[],
  ): Promise<NewItem[]> {
    const addresses = targets.flatMap((target) => this.#addresses(target));
    const ids = addresses.map(() => newItemId());
    let payloads: ItemPayload[];
    let payloadJson: string[];
    let bytes: number;
    if (request.kind === 'file') {
      const fileName = request.fileName ?? request.filePath.split(/[\\/]/).pop() ?? '';
      // Validate the name with every target before copying a byte.
      for (const target of targets)
        this.#validate(target, { kind: 'file', file: { fileName, size: 0, sha256: '', path: '' } });
      const first = await copyIntoSpool(request.filePath, this.#ctx.paths.spoolDir, ids[0]!);
      spooled.push(first.path);
      payloads = [];
      for (let i = 0; i < addresses.length; i++) {
        let path = first.path;
        if (i > 0) {
          // One copy on disk for every target: a hard link per item, so each item removes its own.
          path = join(this.#ctx.paths.spoolDir, ids[i]!);
          await link(first.path, path);
          spooled.push(path);
        }
        payloads.push({
          kind: 'file',
          file: { fileName, size: first.size, sha256: first.sha256, path },
        });
      }
      // The links are directory entries: on disk only once the directory is
      // fsynced, which must happen before the commit that acknowledges them.
      if (addresses.length > 1) await syncDir(this.#ctx.paths.spoolDir);
      bytes = first.size;
      payloadJson = payloads.map((payload) => JSON.stringify(payload));
    } else {
      const payload: ItemPayload =
        request.kind === 'check-result'
          ? { kind: 'check-result', result: request.result }
          : request.kind === 'value'
            ? { kind: 'value', value: request.value }
            : { kind: 'message', message: request.message };
      for (const target of targets) this.#validate(target, payload);
      payloads = addresses.map(() => payload);
      const json = JSON.stringify(payload);
      payloadJson = addresses.map(() => json);
      bytes = Buffer.byteLength(json);
    }
    return addresses.map((address, i) => ({
      id: ids[i]!,
      target: address,
      payload: payloads[i]!,
      payloadJson: payloadJson[i]!,
      objectKey: objectKeyOf(payloads[i]!),
      bytesTotal: bytes,
      createdAt: now,
    }));
  }

  /** The queue addresses one item per target becomes: the target's own, then its copy destinations'. */
  #addresses(target: TargetRecord): string[] {
    if (!this.#ctx.targets.hasDriver(target.kind)) return [target.name];
    const copies = this.#ctx.targets.driver(target.kind).copyDestinations?.(target) ?? [];
    return [target.name, ...copies.map((destination) => queueAddress(target.name, destination))];
  }

  #validate(target: TargetRecord, payload: ItemPayload): void {
    if (!this.#ctx.targets.hasDriver(target.kind)) return;
    this.#ctx.targets.driver(target.kind).validate?.(target, { payload });
  }

  async #enforceCaps(
    settings: QueueSettings,
    items: readonly NewItem[],
    newBytes: number,
  ): Promise<void> {
    const free = await this.#freeSpace(this.#ctx.paths.root);
    if (free - newBytes < settings.minFreeBytes) {
      throw new AgentError(
        'capacity',
        `not queued: the disk of ${this.#ctx.paths.root} would keep ${formatBytes(Math.max(free - newBytes, 0))} free, under the ${formatBytes(settings.minFreeBytes)} minimum (queue.minFreeBytes): free some space`,
      );
    }
    let pending = this.#store.pending().bytes;
    if (pending + newBytes <= settings.maxTotalBytes) return;
    for (const target of new Set(items.map((i) => i.target))) {
      if (policyFor(settings, target) === 'refuse-new') {
        throw new AgentError(
          'capacity',
          `not queued: ${formatBytes(pending)} already wait for delivery and the cap is ${formatBytes(settings.maxTotalBytes)} (queue.maxTotalBytes, policy refuse-new for '${target}'): wait for delivery, raise the cap or choose drop-oldest`,
        );
      }
    }
    // drop-oldest: make room from the oldest queued items of the same targets.
    for (const target of new Set(items.map((i) => i.target))) {
      while (pending + newBytes > settings.maxTotalBytes) {
        const [oldest] = this.#store.oldestQueued(target, 1);
        if (oldest === undefined) break;
        await this.drop(oldest, 'max-total-bytes');
        pending -= oldest.bytesTotal;
      }
    }
    if (pending + newBytes > settings.maxTotalBytes) {
      throw new AgentError(
        'capacity',
        `not queued: ${formatBytes(newBytes)} do not fit under the ${formatBytes(settings.maxTotalBytes)} cap (queue.maxTotalBytes) even after dropping older items`,
      );
    }
  }

  /** Removes a queued item because a cap was hit: counted, logged, visible, never silent. */
  async drop(item: StoredItem, reason: string): Promise<void> {
    const now = this.#clock.now();
    item.state = 'cancelled';
    item.lastError = `dropped: ${reason === 'max-age' ? "older than the queue's max age (queue.maxAgeHours)" : 'queue size cap reached (queue.maxTotalBytes, policy drop-oldest)'}`;
    this.#store.transaction(() => {
      this.#store.update(item, now);
      this.#store.countDrop(item.target, reason, item.bytesTotal);
    });
    if (item.payload.kind === 'file') await removeSpooled(item.payload.file.path);
    this.#ctx.log.warn('queue item dropped', { id: item.id, target: item.target, reason });
    this.#emitItem(item);
  }

  async expireOld(settings: QueueSettings): Promise<number> {
    if (settings.maxAgeHours <= 0) return 0;
    const horizon = this.#clock.now() - settings.maxAgeHours * 3_600_000;
    let dropped = 0;
    for (;;) {
      const batch = this.#store.queuedOlderThan(horizon, 500);
      for (const item of batch) await this.drop(item, 'max-age');
      dropped += batch.length;
      if (batch.length < 500) return dropped;
    }
  }

  async retry(id: string): Promise<QueueItem> {
    const item = this.require(id);
    if (item.state !== 'failed' && item.state !== 'cancelled' && item.state !== 'queued') {
      throw new AgentError(
        'conflict',
        `item ${id} is ${item.state}: only failed, cancelled or waiting items can be retried`,
        {
          field: 'id',
        },
      );
    }
    if (item.payload.kind === 'file' && !(await exists(item.payload.file.path))) {
      throw new AgentError(
        'conflict',
        `item ${id} cannot be retried: its spooled file is gone (it was dropped); queue the file again`,
        {
          field: 'id',
        },
      );
    }
    item.state = 'queued';
    item.nextAttemptAt = this.#clock.now();
    this.#store.update(item, this.#clock.now());
    this.#emitItem(item);
    for (const wake of this.#wakeListeners) wake();
    return item;
  }

  async retryFailed(target?: string): Promise<number> {
    const ids = this.#store.ids(
      target === undefined ? { state: 'failed' } : { state: 'failed', target },
    );
    for (const id of ids) await this.retry(id);
    return ids.length;
  }

  async cancel(id: string): Promise<QueueItem> {
    const item = this.require(id);
    if (item.state === 'delivered' || item.state === 'cancelled') {
      throw new AgentError('conflict', `item ${id} is already ${item.state}`, { field: 'id' });
    }
    if (item.state === 'sending') {
      throw new AgentError(
        'conflict',
        `item ${id} is being sent right now: pause its target first, then cancel`,
        { field: 'id' },
      );
    }
    item.state = 'cancelled';
    item.lastError = 'cancelled by the user';
    this.#store.update(item, this.#clock.now());
    if (item.payload.kind === 'file') await removeSpooled(item.payload.file.path);
    this.#emitItem(item);
    return item;
  }

  stats(deliveringPid: number | undefined): QueueStats {
    const settings = readQueueSettings(this.#ctx.settings);
    const now = this.#clock.now();
    const byTarget = new Map<string, QueueStats['targets'][number]>();
    const entry = (target: string): QueueStats['targets'][number] => {
      let e = byTarget.get(target);
      if (e === undefined) {
        e = {
          target,
          paused: this.#ctx.targets.find(splitQueueAddress(target).target)?.paused ?? false,
          policy: policyFor(settings, target),
          counts: zeroCounts(),
          pendingBytes: 0,
          oldestQueuedAgeSeconds: undefined,
          drops: [],
        };
        byTarget.set(target, e);
      }
      return e;
    };
    for (const t of this.#ctx.targets.list()) entry(t.name);
    const totals = { ...zeroCounts(), pendingBytes: 0, drops: 0 };
    for (const row of this.#store.counts()) {
      const e = entry(row.target);
      e.counts[row.state] = row.count;
      totals[row.state] += row.count;
      if (row.state === 'queued' || row.state === 'sending') {
        e.pendingBytes += row.bytes;
        totals.pendingBytes += row.bytes;
      }
      if (row.state === 'queued')
        e.oldestQueuedAgeSeconds = Math.max(0, Math.round((now - row.oldestCreatedAt) / 1000));
    }
    for (const drop of this.#store.drops()) {
      entry(drop.target).drops.push({ reason: drop.reason, count: drop.count, bytes: drop.bytes });
      totals.drops += drop.count;
    }
    return {
      paused: settings.paused,
      deliveringPid,
      totals,
      targets: [...byTarget.values()],
      caps: {
        maxAgeHours: settings.maxAgeHours,
        maxTotalBytes: settings.maxTotalBytes,
        minFreeBytes: settings.minFreeBytes,
        defaultPolicy: settings.defaultPolicy,
      },
    };
  }

  emitItem(item: QueueItem): void {
    this.#emitItem(item);
  }

  #emitItem(item: QueueItem): void {
    const event: {
      id: string;
      target: string;
      state: ItemState;
      attempts: number;
      lastError?: string;
    } = {
      id: item.id,
      target: item.target,
      state: item.state,
      attempts: item.attempts,
    };
    if (item.lastError !== undefined) event.lastError = item.lastError;
    this.#ctx.events.emit('queue.item', event);
  }
}

export { STATES as ITEM_STATE_ORDER };

/** What a just-inserted row holds, without reading it back. */
function queuedItem(item: NewItem): QueueItem {
  return {
    id: item.id,
    target: item.target,
    payload: item.payload,
    state: 'queued',
    createdAt: item.createdAt,
    attempts: 0,
    nextAttemptAt: item.createdAt,
    lastError: undefined,
    bytesTotal: item.bytesTotal,
    bytesSent: 0,
    deliveredAt: undefined,
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
