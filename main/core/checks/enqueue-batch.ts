import type { QueueService } from '../queue/model.ts';
import type { EnqueueRequest, QueueItem } from '../contract/queue-items.ts';

/** The queue's all-or-nothing multi-request enqueue, when the queue has one (queue/service.ts). */
type EnqueueMany = (requests: readonly EnqueueRequest[]) => Promise<QueueItem[]>;

interface PendingEnqueue {
  request: EnqueueRequest;
  resolve(items: QueueItem[]): void;
  reject(error: unknown): void;
}

/**
 * Groups the enqueues of results that finish close together into one durable
 * write: each enqueue is a synchronous sqlite commit with fsync (queue/store.ts),
 * and one commit per result capped 1,000 checks every 10 s at ~40 results a
 * second with seconds of latency (tests/bench/checks.bench.ts). A batch that
 * fails is retried request by request, so one refused target does not fail
 * the others.
 */
export class EnqueueBatcher {
  readonly #queue: () => QueueService;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  #pending: PendingEnqueue[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(queue: () => QueueService, windowMs = 25, maxBatch = 200) {
    this.#queue = queue;
    this.#windowMs = windowMs;
    this.#maxBatch = maxBatch;
  }

  enqueue(request: EnqueueRequest): Promise<QueueItem[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ request, resolve, reject });
      if (this.#pending.length >= this.#maxBatch) this.#flushSoon(0);
      else this.#flushSoon(this.#windowMs);
    });
  }

  #flushSoon(delayMs: number): void {
    if (this.#timer !== undefined && delayMs > 0) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const batch = this.#pending;
      this.#pending = [];
      // #flush settles every waiter; what escapes it (a queue that cannot be reached) fails them.
      this.#flush(batch).catch((error: unknown) => {
        for (const b of batch) b.reject(error);
      });
    }, delayMs);
  }

  async #flush(batch: PendingEnqueue[]): Promise<void> {
    if (batch.length === 0) return;
    const queue = this.#queue();
    const many = (queue as QueueService & { enqueueMany?: EnqueueMany }).enqueueMany?.bind(queue);
    if (many !== undefined && batch.length > 1) {
      try {
        const items = await many(batch.map((b) => b.request));
        // Items come back in request order, one per distinct target of each request.
        let at = 0;
        for (const b of batch) {
          const count = new Set(b.request.targets).size;
          b.resolve(items.slice(at, at + count));
          at += count;
        }
        return;
      } catch {
        // Fall through: find out which request the queue refuses.
      }
    }
    for (const b of batch) {
      try {
        b.resolve(await queue.enqueue(b.request));
      } catch (error) {
        b.reject(error);
      }
    }
  }
}
