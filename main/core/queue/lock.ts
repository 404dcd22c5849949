import { readFileSync, unlinkSync } from 'node:fs';
import { FileLock } from '../file-lock.ts';
import { writeFileAtomic } from '../fsutil.ts';

/**
 * Exactly one process delivers from a data directory (the tray app, `outpost
 * run` or `outpost ui`); the others only enqueue.
 *
 * The lock is an OS lock on an open file (FileLock, through node:sqlite), not
 * a file holding a pid: a pid file goes stale when its owner is killed, its
 * pid can belong to an unrelated process after a reboot, and a reader can
 * catch it half-written and take it over while its writer delivers. PID +
 * start time would fix the first two on Linux only (/proc), not macOS or
 * Windows, and not the third without more care; an OS lock fixes all three
 * the same way on every platform because the OS releases it with the process.
 *
 * Who holds it is written next to it (`ownerPath`, atomically) for `queue
 * stats` and the waiting message only; it decides nothing.
 */
export class DeliveryLock {
  readonly #lock: FileLock;
  readonly ownerPath: string;

  constructor(path: string, ownerPath: string) {
    this.#lock = new FileLock(path);
    this.ownerPath = ownerPath;
  }

  get held(): boolean {
    return this.#lock.held;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.#lock.held) return true;
    if (!this.#lock.tryLock()) return false;
    try {
      await writeFileAtomic(this.ownerPath, `${JSON.stringify({ pid: process.pid })}\n`);
    } catch (error) {
      this.#lock.unlock();
      throw error;
    }
    return true;
  }

  /** The pid of the delivering process, undefined when none delivers. */
  owner(): number | undefined {
    if (this.#lock.held) return process.pid;
    if (!this.#lock.heldElsewhere()) return undefined;
    try {
      const { pid } = JSON.parse(readFileSync(this.ownerPath, 'utf8')) as { pid?: unknown };
      return Number.isInteger(pid) && (pid as number) > 0 ? (pid as number) : undefined;
    } catch {
      // The holder has not written it yet.
      return undefined;
    }
  }

  release(): void {
    if (!this.#lock.held) return;
    // Before unlocking: once unlocked, the file may already name the next holder.
    try {
      unlinkSync(this.ownerPath);
    } catch {
      // already gone
    }
    this.#lock.unlock();
  }

  close(): void {
    this.release();
    this.#lock.close();
  }
}
