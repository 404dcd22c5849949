import { type QueueItem, type EnqueueRequest } from '../contract/queue-items.ts';

/**
 * What the rest of the agent may ask of the queue. The queue module implements
 * it; protocols never touch its storage.
 */
export interface QueueService {
  /** Resolves only once every created item is durable on disk. */
  enqueue(request: EnqueueRequest): Promise<QueueItem[]>;
  get(id: string): QueueItem | undefined;
}
