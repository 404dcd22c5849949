import { z } from 'zod';

/**
 * The transfer queue's item model (ARCHITECTURE.md "The queue is durable first").
 * Protocol drivers read these payloads; only the queue writes them.
 */

/**
 * The transfer queue's item model (ARCHITECTURE.md "The queue is durable first").
 * Protocol drivers read these payloads; only the queue writes them.
 */
export const ITEM_KINDS = ['file', 'check-result', 'value', 'message'] as const;

export type ItemKind = (typeof ITEM_KINDS)[number];

export const ITEM_STATES = ['queued', 'sending', 'delivered', 'failed', 'cancelled'] as const;

export type ItemState = (typeof ITEM_STATES)[number];

/** Monitoring-plugins exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export const checkStateSchema = z.number().int().min(0).max(3);

export const checkResultPayloadSchema = z.object({
  host: z.string().min(1, 'host must not be empty'),
  service: z.string().min(1).optional(),
  /** 0..3 as above; for a host check 0/1 mean UP, 2/3 DOWN (icinga2.md §4.2). */
  state: checkStateSchema,
  output: z.string(),
  longOutput: z.string().optional(),
  /** Each entry `'label'=value[UOM];[warn];[crit];[min];[max]`. */
  performanceData: z.array(z.string()).default([]),
  /** Unix seconds, fractional. */
  executionStart: z.number(),
  executionEnd: z.number(),
  scheduleStart: z.number().optional(),
  checkSource: z.string().optional(),
  /** Name of the local check that produced it, if any. */
  check: z.string().optional(),
});

export type CheckResultPayload = z.output<typeof checkResultPayloadSchema>;

export const valuePayloadSchema = z.object({
  valueId: z.string().min(1, 'value id must not be empty'),
  value: z.union([z.number(), z.string(), z.boolean()]),
  /** Unix milliseconds. */
  timestamp: z.number(),
  quality: z.string().optional(),
});

export type ValuePayload = z.output<typeof valuePayloadSchema>;

/** A file as the queue holds it: copied into the spool at enqueue time. */
export interface FilePayload {
  /** Base name sent to the server (validated by the target's protocol at enqueue). */
  fileName: string;
  size: number;
  sha256: string;
  /** Absolute path of the spooled copy (or of the referenced original). */
  path: string;
}

export interface MessagePayload {
  [key: string]: unknown;
}

export type ItemPayload =
  | { kind: 'file'; file: FilePayload }
  | { kind: 'check-result'; result: CheckResultPayload }
  | { kind: 'value'; value: ValuePayload }
  | { kind: 'message'; message: MessagePayload };

export interface QueueItem {
  id: string;
  target: string;
  payload: ItemPayload;
  state: ItemState;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | undefined;
  bytesTotal: number;
  bytesSent: number;
  deliveredAt: number | undefined;
}

/** One enqueue call: the same payload fanned out to every named target, one item each. */
export type EnqueueRequest =
  | { kind: 'file'; targets: string[]; filePath: string; fileName?: string }
  | { kind: 'check-result'; targets: string[]; result: CheckResultPayload }
  | { kind: 'value'; targets: string[]; value: ValuePayload }
  | { kind: 'message'; targets: string[]; message: MessagePayload };
