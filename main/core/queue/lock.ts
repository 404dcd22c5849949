import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

/**
 * Exactly one process delivers from a data directory (the tray app, `outpost
 * run` or `outpost ui`); the others only enqueue. The lock is a file holding
 * the owner's pid, created with O_EXCL; a lock whose pid is dead is stale and
 * taken over.
 */
export class DeliveryLock {
  readonly path: string;
  #held = false;

  constructor(path: string) {
    this.path = path;
  }

  get held(): boolean {
    return this.#held;
  }

  tryAcquire(): boolean {
    if (this.#held) return true;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.#held = true;
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = this.owner();
        if (owner !== undefined && owner !== process.pid && isAlive(owner)) return false;
        // Stale (dead owner, or an unreadable half-written file): take it over.
        try {
          unlinkSync(this.path);
        } catch {
          // someone else removed it first
        }
      }
    }
    return false;
  }

  owner(): number | undefined {
    try {
      const pid = Number(readFileSync(this.path, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (this.owner() === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
