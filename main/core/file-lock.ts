import { DatabaseSync } from 'node:sqlite';
import { AgentError } from './contract/errors.ts';

/** SQLite's result code when another connection holds the lock (sqlite3.h). */
const SQLITE_BUSY = 5;
/** How often a waiting `withFileLock` asks again. */
const RETRY_MS = 15;

/**
 * An exclusive lock between processes (and between connections of one
 * process), held by the operating system on an open file. Node has no flock;
 * node:sqlite does: `BEGIN IMMEDIATE` takes SQLite's RESERVED lock, a POSIX
 * fcntl byte-range lock (LockFileEx on Windows) on the file. The OS drops it
 * when the process dies, however it dies (kill -9, power loss, reboot), so
 * no stale lock can outlive its owner and no reused pid can impersonate one.
 * Nothing is ever written: the file stays empty and a reader cannot find it
 * half-written.
 *
 * The path must only be opened through this class: closing any other
 * descriptor of the file in the same process would drop POSIX locks (SQLite
 * itself keeps its own descriptors open for that reason). Locks on network
 * filesystems are only as good as the filesystem's lock support.
 */
export class FileLock {
  readonly path: string;
  #db: DatabaseSync | undefined;
  #held = false;

  constructor(path: string) {
    this.path = path;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Takes the lock if nobody holds it; false (at once) if someone does. */
  tryLock(): boolean {
    if (this.#held) return true;
    this.#db ??= new DatabaseSync(this.path, { timeout: 0 });
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if ((error as { errcode?: number }).errcode === SQLITE_BUSY) return false;
      throw new AgentError(
        'io',
        `cannot use the lock file ${this.path}: ${(error as Error).message}; it is not one Outpost created (they stay empty): remove it while no Outpost process runs`,
        { cause: error },
      );
    }
    this.#held = true;
    return true;
  }

  unlock(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#db?.exec('ROLLBACK');
  }

  /** True when another process (or another FileLock of this one) holds the lock now. */
  heldElsewhere(): boolean {
    if (this.#held) return false;
    if (!this.tryLock()) return true;
    this.unlock();
    return false;
  }

  close(): void {
    this.unlock();
    this.#db?.close();
    this.#db = undefined;
  }
}

/**
 * Runs `work` while holding the lock on `path`, waiting up to `waitMs` for
 * another holder (a read-modify-write of a shared file by several processes).
 */
export async function withFileLock<T>(
  path: string,
  work: () => Promise<T>,
  waitMs = 10_000,
): Promise<T> {
  const lock = new FileLock(path);
  try {
    const deadline = Date.now() + waitMs;
    while (!lock.tryLock()) {
      if (Date.now() >= deadline) {
        throw new AgentError(
          'timeout',
          `another Outpost process held ${path} for over ${waitMs / 1000} s: try again`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    return await work();
  } finally {
    lock.close();
  }
}
