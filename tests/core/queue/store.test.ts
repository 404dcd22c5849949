import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchedWrites } from '../../../main/core/queue/batched-writes.ts';
import { newItemId } from '../../../main/core/queue/item-id.ts';
import type { ItemPayload, ItemState } from '../../../main/core/contract/queue-items.ts';
import { QueueStore, type NewItem } from '../../../main/core/queue/store.ts';
import { makeTempDir } from '../../peers/util.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('store'));
});
afterEach(async () => cleanup());

const payload: ItemPayload = {
  kind: 'check-result',
  result: {
    host: 'h',
    service: 's',
    state: 0,
    output: 'OK',
    performanceData: [],
    executionStart: 1,
    executionEnd: 2,
  },
};

function newItem(target: string, bytes: number, createdAt = 1): NewItem {
  return {
    id: newItemId(),
    target,
    payload,
    payloadJson: JSON.stringify(payload),
    objectKey: 'h!s',
    bytesTotal: bytes,
    createdAt,
  };
}

/** The truth the running totals must equal: a full scan. */
function scanPending(path: string): { count: number; bytes: number } {
  const db = new DatabaseSync(path, { readOnly: true });
  const row = db
    .prepare(
      `SELECT COUNT(*) AS count, COALESCE(SUM(bytes_total), 0) AS bytes FROM items WHERE state IN ('queued', 'sending')`,
    )
    .get() as { count: number; bytes: number };
  db.close();
  return { count: Number(row.count), bytes: Number(row.bytes) };
}

describe('queue item ids', () => {
  it('are RFC 9562 version-7 UUIDs, unique and in creation order even within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newItemId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    // A clock that goes back does not break the order either.
    const later = newItemId(1_600_000_000_000);
    expect(later > ids.at(-1)!).toBe(true);
  });
});

describe('pending totals', () => {
  it('equal a full scan after any sequence of inserts, state changes and prunes', () => {
    const path = join(dir, 'q.sqlite');
    const store = new QueueStore(path);
    const states: ItemState[] = ['queued', 'sending', 'delivered', 'failed', 'cancelled'];
    const op = fc.oneof(
      fc.record({
        insert: fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 5 }),
      }),
      fc.record({ set: fc.nat(), state: fc.constantFrom(...states) }),
      fc.record({ prune: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        for (const o of ops) {
          if ('insert' in o) store.insert(o.insert.map((bytes) => newItem('t', bytes)));
          else if ('set' in o) {
            const items = store.list({ limit: 50 });
            const item = items[o.set % Math.max(items.length, 1)];
            if (item !== undefined) store.update({ ...item, state: o.state }, 2);
          } else store.pruneFinished(3);
          expect(store.pending()).toEqual(scanPending(path));
        }
      }),
      { numRuns: 30 },
    );
    store.close();
  });

  it('are seeded from the items when a database from before them is opened', () => {
    const path = join(dir, 'old.sqlite');
    const store = new QueueStore(path);
    store.insert([newItem('a', 100), newItem('b', 250), newItem('b', 5)]);
    const [first] = store.list({ limit: 1 });
    store.update({ ...first!, state: 'delivered' }, 2);
    store.close();
    // What an older Outpost left: items, no totals table, no triggers.
    const db = new DatabaseSync(path);
    db.exec('DROP TRIGGER pending_update; DROP TRIGGER pending_delete; DROP TABLE pending_totals;');
    db.close();
    const reopened = new QueueStore(path);
    expect(reopened.pending()).toEqual({ count: 2, bytes: 350 });
    expect(reopened.pending()).toEqual(scanPending(path));
    reopened.close();
  });
});

describe('batched state writes', () => {
  it('commits the writes of one turn together, resolving each only once they are on disk', async () => {
    const path = join(dir, 'b.sqlite');
    const store = new QueueStore(path);
    store.insert(Array.from({ length: 300 }, () => newItem('t', 10)));
    const items = store.list({ limit: 300 });
    const writes = new BatchedWrites(store, () => 5);
    const pending = items.map((item) =>
      writes.write({ ...item, state: 'delivered', deliveredAt: 5 }),
    );
    // Nothing is written before the turn ends: a reader sees all of them queued.
    expect(scanPending(path).count).toBe(300);
    await Promise.all(pending);
    expect(scanPending(path)).toEqual({ count: 0, bytes: 0 });
    expect(store.pending()).toEqual({ count: 0, bytes: 0 });
    store.close();
  });

  it('rejects every write of a batch whose transaction fails, and writes none of it', async () => {
    const path = join(dir, 'c.sqlite');
    const store = new QueueStore(path);
    store.insert([newItem('t', 10), newItem('t', 20)]);
    const [a, b] = store.list({ limit: 2 });
    // Another connection holds the write lock past the busy timeout's reach: the commit cannot happen.
    const fast = new QueueStore(path);
    fast.setBusyTimeout(0);
    const blocker = new DatabaseSync(path);
    blocker.exec('PRAGMA busy_timeout = 0; BEGIN IMMEDIATE');
    const writes = new BatchedWrites(fast, () => 5);
    const results = await Promise.allSettled([
      writes.write({ ...a!, state: 'delivered' }),
      writes.write({ ...b!, state: 'failed' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    blocker.exec('ROLLBACK');
    blocker.close();
    expect(scanPending(path).count).toBe(2);
    fast.close();
    store.close();
  });
});
