/**
 * The node's durable result history (gorgone.md §8 GETLOG/SETLOGS, §9 GETLOG
 * filters), in node:sqlite at `ctx.paths.historyDb`. Other modules record
 * their results here with `recordHistory(ctx, …)` so that a central's GETLOG
 * sees them (e.g. local checks, issue #10).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AgentError } from '../../contract/errors.ts';

/** A row as gorgone's `gorgone_history` table gives it (§8): `data` is JSON text. */
export interface HistoryRow {
  id: number;
  token: string;
  code: number;
  etime: number;
  ctime: number;
  instant: number;
  data: string;
}

export interface HistoryEntry {
  code: number;
  token: string;
  /** Any JSON value (stored as text) or already-serialized JSON text. */
  data: unknown;
  /** Event time, seconds since the epoch; now by default. */
  etime?: number;
}

/** §9: every filter is optional but at least one is required. */
export interface HistoryFilter {
  id?: number;
  token?: string;
  ctime?: number;
  etime?: number;
  code?: number;
  limit?: number;
}

const MAX_ROWS = 10_000;
/** gorgone's dbcleaner module: `purge_history_time` 604 800 s (one week) by default. */
export const HISTORY_RETENTION_SECONDS = 604_800;
/** Prune on open and then every this many records. */
const PRUNE_EVERY = 500;

export class HistoryStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  #lastCtime: number;
  #sincePrune = 0;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS gorgone_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token TEXT NOT NULL,
        code INTEGER NOT NULL,
        etime INTEGER NOT NULL,
        ctime REAL NOT NULL,
        instant INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS gorgone_history_ctime ON gorgone_history (ctime);
      CREATE INDEX IF NOT EXISTS gorgone_history_token ON gorgone_history (token);
    `);
    const row = this.#db.prepare('SELECT MAX(ctime) AS c FROM gorgone_history').get() as {
      c: number | null;
    };
    this.#lastCtime = row.c ?? 0;
    this.prune();
  }

  /** Deletes rows older than the retention; returns how many went. */
  prune(olderThanSeconds: number = HISTORY_RETENTION_SECONDS): number {
    this.#sincePrune = 0;
    const result = this.#db
      .prepare('DELETE FROM gorgone_history WHERE ctime < ?')
      .run(Date.now() / 1000 - olderThanSeconds);
    return Number(result.changes);
  }

  record(entry: HistoryEntry): HistoryRow {
    if (++this.#sincePrune >= PRUNE_EVERY) this.prune();
    const now = Date.now() / 1000;
    // The central keeps max(ctime) as its next `ctime >` cursor (§8): ctimes must never repeat.
    const ctime = Math.max(now, this.#lastCtime + 0.000_01);
    this.#lastCtime = ctime;
    const data = typeof entry.data === 'string' ? entry.data : JSON.stringify(entry.data ?? {});
    const etime = Math.floor(entry.etime ?? now);
    const result = this.#db
      .prepare(
        'INSERT INTO gorgone_history (token, code, etime, ctime, instant, data) VALUES (?, ?, ?, ?, 0, ?)',
      )
      .run(entry.token, entry.code, etime, ctime, data);
    return {
      id: Number(result.lastInsertRowid),
      token: entry.token,
      code: entry.code,
      etime,
      ctime,
      instant: 0,
      data,
    };
  }

  query(filter: HistoryFilter): HistoryRow[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const conditions: Array<[string, string | number | undefined]> = [
      ['id > ?', filter.id],
      ['token = ?', filter.token],
      ['ctime > ?', filter.ctime],
      ['etime > ?', filter.etime],
      ['code = ?', filter.code],
    ];
    for (const [sql, value] of conditions) {
      if (value === undefined) continue;
      where.push(sql);
      args.push(value);
    }
    if (where.length === 0) {
      throw new AgentError(
        'invalid-request',
        'need at least one filter (id, token, ctime, etime or code)',
        {
          field: 'filter',
        },
      );
    }
    const limit = Math.min(Math.max(filter.limit ?? MAX_ROWS, 1), MAX_ROWS);
    return this.#db
      .prepare(
        `SELECT id, token, code, etime, ctime, instant, data FROM gorgone_history WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${limit}`,
      )
      .all(...args) as unknown as HistoryRow[];
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

const stores = new Map<string, HistoryStore>();

/** One store per database file per process. */
export function historyStore(ctx: { paths: { historyDb: string } }): HistoryStore {
  let store = stores.get(ctx.paths.historyDb);
  if (store === undefined) {
    store = new HistoryStore(ctx.paths.historyDb);
    stores.set(ctx.paths.historyDb, store);
  }
  return store;
}

/** What other modules call: e.g. `recordHistory(ctx, {code: 2, token, data: {…}})`. */
export function recordHistory(
  ctx: { paths: { historyDb: string } },
  entry: HistoryEntry,
): HistoryRow {
  return historyStore(ctx).record(entry);
}

/** Closes the store of one data dir (agent close, tests simulating a restart). */
export function closeHistory(ctx: { paths: { historyDb: string } }): void {
  stores.get(ctx.paths.historyDb)?.close();
  stores.delete(ctx.paths.historyDb);
}

/** GETLOG DATA → filter, leniently (numbers may arrive as strings, §9). */
export function historyFilterFrom(data: unknown): HistoryFilter {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const filter: HistoryFilter = {};
  const num = (v: unknown): number | undefined => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
  };
  const id = num(d.id);
  if (id !== undefined) filter.id = id;
  if (typeof d.token === 'string') filter.token = d.token;
  const ctime = num(d.ctime);
  if (ctime !== undefined) filter.ctime = ctime;
  const etime = num(d.etime);
  if (etime !== undefined) filter.etime = etime;
  const code = num(d.code);
  if (code !== undefined) filter.code = code;
  const limit = num(d.limit);
  if (limit !== undefined) filter.limit = limit;
  return filter;
}
