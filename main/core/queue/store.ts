import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { ItemKind, ItemPayload, ItemState, QueueItem } from '../contract/queue-items.ts';

export interface NewItem {
  id: string;
  target: string;
  payload: ItemPayload;
  /** The payload serialized once, shared by the items of one fan-out. */
  payloadJson: string;
  /** host!service of a check result: the unit whose results must never go back in time. */
  objectKey: string | undefined;
  bytesTotal: number;
  createdAt: number;
}

export interface ListFilter {
  state?: ItemState;
  target?: string;
  limit: number;
  /** Paging: only items older than this sequence number. */
  beforeSeq?: number;
}

export interface StateCount {
  target: string;
  state: ItemState;
  count: number;
  bytes: number;
  oldestCreatedAt: number;
}

export interface DropCount {
  target: string;
  reason: string;
  count: number;
  bytes: number;
}

interface Row {
  seq: number;
  id: string;
  target: string;
  kind: string;
  payload: string;
  state: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  bytes_total: number;
  bytes_sent: number;
  delivered_at: number | null;
}

export type StoredItem = QueueItem & { seq: number; objectKey?: string };

/**
 * SQL: the item's queue address is the target (bound three times) or one of its
 * destinations (`<target>/…`). The prefix test is a range ('0' is the byte after
 * '/') so that items_target_state can serve it; a substr() test cannot. `column`
 * '+target' keeps the planner off that index (see list()).
 */
function targetOrDestination(column: 'target' | '+target'): string {
  return `(${column} = ? OR (${column} >= ? || '/' AND ${column} < ? || '0'))`;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS items (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  object_key TEXT,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  bytes_total INTEGER NOT NULL DEFAULT 0,
  bytes_sent INTEGER NOT NULL DEFAULT 0,
  delivered_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS items_target_state ON items(target, state, seq);
CREATE INDEX IF NOT EXISTS items_state ON items(state, seq);
CREATE INDEX IF NOT EXISTS items_object ON items(target, object_key, seq) WHERE object_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS pending_totals (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO pending_totals (one, count, bytes)
  SELECT 1, COUNT(*), COALESCE(SUM(bytes_total), 0) FROM items
  WHERE state IN ('queued', 'sending') AND NOT EXISTS (SELECT 1 FROM pending_totals);
CREATE TRIGGER IF NOT EXISTS pending_delete AFTER DELETE ON items WHEN old.state IN ('queued', 'sending')
BEGIN
  UPDATE pending_totals SET count = count - 1, bytes = bytes - old.bytes_total;
END;
CREATE TRIGGER IF NOT EXISTS pending_update AFTER UPDATE OF state, bytes_total ON items
  WHEN (old.state IN ('queued', 'sending')) OR (new.state IN ('queued', 'sending'))
BEGIN
  UPDATE pending_totals SET
    count = count - (old.state IN ('queued', 'sending')) + (new.state IN ('queued', 'sending')),
    bytes = bytes - (CASE WHEN old.state IN ('queued', 'sending') THEN old.bytes_total ELSE 0 END)
                  + (CASE WHEN new.state IN ('queued', 'sending') THEN new.bytes_total ELSE 0 END);
END;
CREATE TABLE IF NOT EXISTS drops (
  target TEXT NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (target, reason)
);
`;

/**
 * Item state in node:sqlite. WAL with synchronous=FULL: a commit returns only
 * after the WAL is fsynced, which is what "acknowledged means on disk" needs
 * (NORMAL could lose the last transactions on power loss). Nothing here loads
 * more than one page of items into memory.
 */
export class QueueStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #byId: StatementSync;
  readonly #nextQueued: StatementSync;
  readonly #setState: StatementSync;
  readonly #dataVersion: StatementSync;
  readonly #pending: StatementSync;
  readonly #addPending: StatementSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    // An 8 MiB page cache (SQLite's default is 2 MiB) keeps the four indexes'
    // hot pages of a deep queue in memory: batched enqueue at 200k queued
    // items went from 38k/s to 51k/s; 4 MiB did not help, 16 MiB no more.
    this.#db.exec(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -8192;',
    );
    // One transaction: the totals are seeded and their triggers exist before any other process inserts.
    this.transaction(() => this.#db.exec(SCHEMA));
    this.#insert = this.#db.prepare(
      `INSERT INTO items (id, target, kind, payload, object_key, state, created_at, next_attempt_at, bytes_total, updated_at)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
    );
    this.#byId = this.#db.prepare('SELECT * FROM items WHERE id = ?');
    this.#nextQueued = this.#db.prepare(
      `SELECT * FROM items WHERE target = ? AND state = 'queued' ORDER BY seq LIMIT ?`,
    );
    this.#setState = this.#db.prepare(
      `UPDATE items SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, bytes_sent = ?, delivered_at = ?, updated_at = ? WHERE id = ?`,
    );
    this.#dataVersion = this.#db.prepare('PRAGMA data_version');
    this.#pending = this.#db.prepare('SELECT count, bytes FROM pending_totals WHERE one = 1');
    this.#addPending = this.#db.prepare(
      'UPDATE pending_totals SET count = count + ?, bytes = bytes + ? WHERE one = 1',
    );
  }

  close(): void {
    this.#db.close();
  }

  /** How long a write waits for another process's transaction (tests shorten it). */
  setBusyTimeout(ms: number): void {
    this.#db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(ms))}`);
  }

  /**
   * All-or-nothing insert of one enqueue call's items. The pending totals get
   * one update per call here rather than a trigger per row (a per-row trigger
   * cost 40% of batched enqueue); updates and deletes keep their triggers.
   */
  insert(items: readonly NewItem[]): void {
    this.transaction(() => {
      let bytes = 0;
      for (const item of items) bytes += item.bytesTotal;
      this.#addPending.run(items.length, bytes);
      for (const item of items) {
        this.#insert.run(
          item.id,
          item.target,
          item.payload.kind,
          item.payloadJson,
          item.objectKey ?? null,
          item.createdAt,
          item.createdAt,
          item.bytesTotal,
          item.createdAt,
        );
      }
    });
  }

  transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  get(id: string): StoredItem | undefined {
    const row = this.#byId.get(id) as Row | undefined;
    return row === undefined ? undefined : toItem(row);
  }

  /** The oldest queued items of a target, FIFO. */
  nextQueued(target: string, limit: number): StoredItem[] {
    return (this.#nextQueued.all(target, limit) as unknown as Row[]).map(toItem);
  }

  update(item: StoredItem, now: number): void {
    this.#setState.run(
      item.state,
      item.attempts,
      item.nextAttemptAt,
      item.lastError ?? null,
      item.bytesSent,
      item.deliveredAt ?? null,
      now,
      item.id,
    );
  }

  /** After a crash: whatever was in flight is sent again (at-least-once). */
  requeueSending(now: number): number {
    return Number(
      this.#db
        .prepare(`UPDATE items SET state = 'queued', updated_at = ? WHERE state = 'sending'`)
        .run(now).changes,
    );
  }

  targetsWithQueued(): string[] {
    return (
      this.#db.prepare(`SELECT DISTINCT target FROM items WHERE state = 'queued'`).all() as Array<{
        target: string;
      }>
    ).map((r) => r.target);
  }

  /** True when a newer result for the same object was already delivered to the target. */
  supersededBy(item: StoredItem): StoredItem | undefined {
    if (item.objectKey === undefined) return undefined;
    const row = this.#db
      .prepare(
        `SELECT * FROM items WHERE target = ? AND object_key = ? AND seq > ? AND state = 'delivered' ORDER BY seq DESC LIMIT 1`,
      )
      .get(item.target, item.objectKey, item.seq) as Row | undefined;
    return row === undefined ? undefined : toItem(row);
  }

  list(filter: ListFilter): StoredItem[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (filter.state !== undefined) {
      where.push('state = ?');
      args.push(filter.state);
    }
    if (filter.target !== undefined) {
      // A target's items include its copy destinations' (`<target>/…`, contract/targets.ts).
      // One page newest-first: walking seq stops after `limit` items of a busy
      // target, where the index would collect and sort all of them.
      where.push(targetOrDestination('+target'));
      args.push(filter.target, filter.target, filter.target);
    }
    if (filter.beforeSeq !== undefined) {
      where.push('seq < ?');
      args.push(filter.beforeSeq);
    }
    const sql = `SELECT * FROM items ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...args, filter.limit) as unknown as Row[]).map(toItem);
  }

  /** Items in a state, of one target (with its copy destinations') or all. */
  ids(filter: { state: ItemState; target?: string }): string[] {
    const rows =
      filter.target === undefined
        ? this.#db.prepare('SELECT id FROM items WHERE state = ? ORDER BY seq').all(filter.state)
        : this.#db
            .prepare(
              // Without ANALYZE statistics the planner takes items_state (every item in
              // that state) over the target's own index entries; name the index.
              `SELECT id FROM items INDEXED BY items_target_state WHERE state = ? AND ${targetOrDestination('target')} ORDER BY seq`,
            )
            .all(filter.state, filter.target, filter.target, filter.target);
    return (rows as Array<{ id: string }>).map((r) => r.id);
  }

  counts(): StateCount[] {
    return this.#db
      .prepare(
        `SELECT target, state, COUNT(*) AS count, COALESCE(SUM(bytes_total), 0) AS bytes, MIN(created_at) AS oldestCreatedAt
         FROM items GROUP BY target, state`,
      )
      .all() as unknown as StateCount[];
  }

  /**
   * Bytes and count of items still to deliver (queued or sending), kept by
   * triggers in the same transactions as the items: the cap check on every
   * enqueue reads one row instead of scanning a million.
   */
  pending(): { count: number; bytes: number } {
    const row = this.#pending.get() as { count: number; bytes: number } | undefined;
    return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /** Oldest queued items first: what a "drop oldest" policy removes. */
  oldestQueued(target: string | undefined, limit: number): StoredItem[] {
    const rows =
      target === undefined
        ? this.#db
            .prepare(`SELECT * FROM items WHERE state = 'queued' ORDER BY seq LIMIT ?`)
            .all(limit)
        : this.#db
            .prepare(
              `SELECT * FROM items WHERE state = 'queued' AND target = ? ORDER BY seq LIMIT ?`,
            )
            .all(target, limit);
    return (rows as unknown as Row[]).map(toItem);
  }

  queuedOlderThan(createdBefore: number, limit: number): StoredItem[] {
    return (
      this.#db
        .prepare(
          `SELECT * FROM items WHERE state = 'queued' AND created_at < ? ORDER BY seq LIMIT ?`,
        )
        .all(createdBefore, limit) as unknown as Row[]
    ).map(toItem);
  }

  countDrop(target: string, reason: string, bytes: number): void {
    this.#db
      .prepare(
        `INSERT INTO drops (target, reason, count, bytes) VALUES (?, ?, 1, ?)
         ON CONFLICT (target, reason) DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes`,
      )
      .run(target, reason, bytes);
  }

  drops(): DropCount[] {
    return this.#db
      .prepare('SELECT target, reason, count, bytes FROM drops ORDER BY target, reason')
      .all() as unknown as DropCount[];
  }

  /** Delivered and cancelled items older than the horizon leave the database. */
  pruneFinished(before: number): number {
    return Number(
      this.#db
        .prepare(`DELETE FROM items WHERE state IN ('delivered', 'cancelled') AND updated_at < ?`)
        .run(before).changes,
    );
  }

  /** Changes when another connection (another process) committed. */
  dataVersion(): number {
    return Number((this.#dataVersion.get() as { data_version: number }).data_version);
  }
}

function toItem(row: Row): StoredItem {
  const item: StoredItem = {
    seq: row.seq,
    id: row.id,
    target: row.target,
    payload: JSON.parse(row.payload) as ItemPayload,
    state: row.state as ItemState,
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error ?? undefined,
    bytesTotal: row.bytes_total,
    bytesSent: row.bytes_sent,
    deliveredAt: row.delivered_at ?? undefined,
  };
  const objectKey = (row as Row & { object_key?: string | null }).object_key;
  if (objectKey !== null && objectKey !== undefined) item.objectKey = objectKey;
  return item;
}

export function itemKind(item: QueueItem): ItemKind {
  return item.payload.kind;
}
