import { describe, expect, it } from 'vitest';
import { EnqueueBatcher } from '../../../main/core/checks/enqueue-batch.ts';
import type { QueueService } from '../../../main/core/queue/model.ts';
import type { EnqueueRequest, QueueItem } from '../../../main/core/contract/queue-items.ts';

function item(target: string, n: number): QueueItem {
  return {
    id: `${target}-${n}`,
    target,
    payload: { kind: 'message', message: {} },
    state: 'queued',
    createdAt: 0,
    attempts: 0,
    nextAttemptAt: 0,
    lastError: undefined,
    bytesTotal: 0,
    bytesSent: 0,
    deliveredAt: undefined,
  };
}

/** A queue with the all-or-nothing enqueueMany of queue/service.ts that refuses target 'bad'. */
class ManyQueue implements QueueService {
  calls: string[] = [];
  #n = 0;
  async enqueue(request: EnqueueRequest): Promise<QueueItem[]> {
    this.calls.push(`one:${request.targets.join(',')}`);
    if (request.targets.includes('bad')) throw new Error("target 'bad' refuses it");
    return request.targets.map((t) => item(t, ++this.#n));
  }
  async enqueueMany(requests: readonly EnqueueRequest[]): Promise<QueueItem[]> {
    this.calls.push(`many:${requests.length}`);
    if (requests.some((r) => r.targets.includes('bad'))) throw new Error('batch refused');
    return requests.flatMap((r) => [...new Set(r.targets)].map((t) => item(t, ++this.#n)));
  }
  get(): QueueItem | undefined {
    return undefined;
  }
}

const msg = (...targets: string[]): EnqueueRequest => ({ kind: 'message', targets, message: {} });

describe('enqueue batching', () => {
  it('groups enqueues that come together into one durable write and hands each its own items', async () => {
    const queue = new ManyQueue();
    const batcher = new EnqueueBatcher(() => queue, 10);
    const results = await Promise.all([
      batcher.enqueue(msg('a')),
      batcher.enqueue(msg('b', 'c', 'b')),
      batcher.enqueue(msg('d')),
    ]);
    expect(queue.calls).toEqual(['many:3']);
    expect(results.map((items) => items.map((i) => i.target))).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('a refused request fails alone: the batch is retried one by one', async () => {
    const queue = new ManyQueue();
    const batcher = new EnqueueBatcher(() => queue, 10);
    const [ok, bad] = await Promise.allSettled([
      batcher.enqueue(msg('a')),
      batcher.enqueue(msg('bad')),
    ]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: [{ target: 'a' }] });
    expect(bad).toMatchObject({ status: 'rejected', reason: new Error("target 'bad' refuses it") });
    expect(queue.calls).toEqual(['many:2', 'one:a', 'one:bad']);
  });

  it('flushes at once when the batch is full', async () => {
    const queue = new ManyQueue();
    const batcher = new EnqueueBatcher(() => queue, 60_000, 2);
    await Promise.all([batcher.enqueue(msg('a')), batcher.enqueue(msg('b'))]);
    expect(queue.calls).toEqual(['many:2']);
  });

  it('fails every waiting enqueue when the queue cannot be reached at all', async () => {
    const batcher = new EnqueueBatcher(() => {
      throw new Error('the queue is closed');
    }, 10);
    const settled = await Promise.allSettled([
      batcher.enqueue(msg('a')),
      batcher.enqueue(msg('b')),
    ]);
    expect(settled).toEqual([
      { status: 'rejected', reason: new Error('the queue is closed') },
      { status: 'rejected', reason: new Error('the queue is closed') },
    ]);
  });
});
