import { z } from 'zod';
import {
  checkResultPayloadSchema,
  ITEM_STATES,
  type ItemState,
  type QueueItem,
} from './queue-items.ts';
import { CAP_POLICIES, type QueueSettings } from './queue-settings.ts';
import { method } from './define.ts';

const targets = z
  .array(z.string().min(1, 'each target must name a paired target'))
  .min(1, 'name at least one paired target');

const id = z.string().min(1, 'id must be a queue item id (see `outpost queue list`)');

/** A check result as people type it: timing defaults to now. */
export const checkResultInputSchema = checkResultPayloadSchema.extend({
  executionStart: z.number().optional(),
  executionEnd: z.number().optional(),
});

export const valueInputSchema = z.object({
  valueId: z.string().min(1, 'valueId must not be empty'),
  value: z.union([z.number(), z.string(), z.boolean()]),
  timestamp: z.number().optional(),
  quality: z.string().optional(),
});

export type QueueItemView = QueueItem & { seq: number };

export interface EnqueueResult {
  /** Durable items created (one per target). */
  items: QueueItemView[];
  /** With `now`: targets that acknowledged immediately (nothing was queued for them). */
  delivered: string[];
}

export const queueContract = {
  enqueueFile: method<EnqueueResult>()(
    z
      .object({
        targets,
        path: z.string().min(1, 'path must name a file to send'),
        name: z.string().min(1).optional(),
      })
      .strict(),
    'Queue a file for every target (copied into the spool first)',
  ),
  enqueueCheckResult: method<EnqueueResult>()(
    z.object({ targets, result: checkResultInputSchema, now: z.boolean().default(false) }).strict(),
    'Queue a check result for every target, or deliver it right away with now',
  ),
  enqueueValue: method<EnqueueResult>()(
    z.object({ targets, value: valueInputSchema, now: z.boolean().default(false) }).strict(),
    'Queue a value for every target, or deliver it right away with now',
  ),
  listQueue: method<QueueItemView[]>()(
    z
      .object({
        state: z.enum(ITEM_STATES).optional(),
        target: z.string().min(1).optional(),
        limit: z.number().int().min(1).max(1000).default(100),
        beforeSeq: z.number().int().positive().optional(),
      })
      .strict()
      .default({ limit: 100 }),
    'Queue items, newest first, filtered by state and target',
  ),
  getQueueItem: method<QueueItemView>()(z.object({ id }).strict(), 'One queue item'),
  retryQueueItem: method<QueueItemView>()(
    z.object({ id }).strict(),
    'Queue a failed or cancelled item again',
  ),
  retryFailed: method<{ retried: number }>()(
    z
      .object({ target: z.string().min(1).optional() })
      .strict()
      .default({}),
    'Queue every failed item again (of one target, or all)',
  ),
  cancelQueueItem: method<QueueItemView>()(
    z.object({ id }).strict(),
    'Cancel an item that is not being sent',
  ),
  pauseTarget: method<{ target: string; paused: boolean }>()(
    z.object({ target: z.string().min(1, 'target must name a paired target') }).strict(),
    'Stop delivering to one target (items keep queueing)',
  ),
  resumeTarget: method<{ target: string; paused: boolean }>()(
    z.object({ target: z.string().min(1, 'target must name a paired target') }).strict(),
    'Resume delivering to one target',
  ),
  pauseSending: method<{ paused: boolean }>()(
    z.object({}).strict().default({}),
    'Pause all delivery (the tray\'s "Pause sending")',
  ),
  resumeSending: method<{ paused: boolean }>()(
    z.object({}).strict().default({}),
    'Resume all delivery',
  ),
  getQueueStats: method<QueueStats>()(
    z.object({}).strict().default({}),
    'Counts per state and target, pending bytes, drops, oldest age, caps',
  ),
  getQueueSettings: method<QueueSettings>()(
    z.object({}).strict().default({}),
    'Queue caps, policies and concurrency',
  ),
  updateQueueSettings: method<QueueSettings>()(
    z
      .object({
        concurrency: z.number().int().min(1).max(64).optional(),
        maxAgeHours: z.number().min(0).optional(),
        maxTotalBytes: z
          .number()
          .int()
          .min(1024 * 1024, 'maxTotalBytes must be at least 1 MiB')
          .optional(),
        minFreeBytes: z.number().int().min(0).optional(),
        defaultPolicy: z.enum(CAP_POLICIES).optional(),
        policies: z.record(z.string(), z.enum(CAP_POLICIES)).optional(),
      })
      .strict(),
    'Change queue caps and per-target policies',
  ),
};

export interface QueueEvents {
  /** An item changed state (queued, sending, delivered, failed, cancelled). */
  'queue.item': {
    id: string;
    target: string;
    state: ItemState;
    attempts: number;
    lastError?: string;
  };
  /** Bytes acknowledged so far for an item being sent, with rate and ETA. */
  'queue.progress': {
    id: string;
    target: string;
    bytesSent: number;
    bytesTotal: number;
    rateBytesPerSecond: number;
    etaSeconds: number | undefined;
  };
}

export interface QueueStats {
  paused: boolean;
  deliveringPid: number | undefined;
  totals: Record<ItemState, number> & { pendingBytes: number; drops: number };
  targets: Array<{
    target: string;
    paused: boolean;
    policy: string;
    counts: Record<ItemState, number>;
    pendingBytes: number;
    oldestQueuedAgeSeconds: number | undefined;
    drops: Array<{ reason: string; count: number; bytes: number }>;
  }>;
  caps: Pick<QueueSettings, 'maxAgeHours' | 'maxTotalBytes' | 'minFreeBytes' | 'defaultPolicy'>;
}
