import { z } from 'zod';

export const CAP_POLICIES = ['drop-oldest', 'refuse-new'] as const;

export type CapPolicy = (typeof CAP_POLICIES)[number];

/**
 * The `queue` section of settings.json: caps like Zabbix/Datadog/Pandora
 * buffers have, with an explicit policy per target for when one is hit.
 */
export const queueSettingsSchema = z.object({
  /** "Pause sending" of the tray: nothing is delivered, everything still queues. */
  paused: z.boolean().default(false),
  /** Targets delivering at the same time (each target has one worker). */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** Queued items older than this are dropped (counted). 0 = keep forever. */
  maxAgeHours: z
    .number()
    .min(0)
    .default(7 * 24),
  /** Bytes of undelivered payloads (spooled files, results). */
  maxTotalBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .default(10 * 1024 ** 3),
  /** Free space the data directory's disk must keep after an enqueue. */
  minFreeBytes: z
    .number()
    .int()
    .min(0)
    .default(256 * 1024 ** 2),
  defaultPolicy: z.enum(CAP_POLICIES).default('refuse-new'),
  policies: z.record(z.string(), z.enum(CAP_POLICIES)).default({}),
  backoff: z
    .object({
      baseMs: z.number().int().min(10).default(1000),
      capMs: z.number().int().min(100).default(300_000),
    })
    .prefault({}),
  /** Delivered and cancelled items are kept this long for the UI, then pruned. */
  keepFinishedHours: z.number().min(0).default(72),
});

export type QueueSettings = z.output<typeof queueSettingsSchema>;
