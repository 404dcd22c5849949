import type { QueueStore, StoredItem } from './store.ts';

/**
 * Coalesces the item state writes made in one turn of the event loop into
 * one transaction, so one fsync covers every acknowledgement that arrived
 * together (a window of 256 results acked by one Icinga log position, say)
 * instead of one fsync each. A write resolves once its transaction committed:
 * callers still act (remove a spooled file, report "delivered") only on what
 * is on disk.
 */
export class BatchedWrites {
  readonly #store: QueueStore;
  readonly #now: () => number;
  #pending: StoredItem[] = [];
  #flush: Promise<void> | undefined;

  constructor(store: QueueStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  write(item: StoredItem): Promise<void> {
    this.#pending.push(item);
    this.#flush ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const batch = this.#pending;
        this.#pending = [];
        this.#flush = undefined;
        try {
          const now = this.#now();
          this.#store.transaction(() => {
            for (const pending of batch) this.#store.update(pending, now);
          });
          resolve();
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    return this.#flush;
  }
}
