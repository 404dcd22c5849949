import type { z } from 'zod';
import type { ItemKind, QueueItem } from '../contract/queue-items.ts';
import { type TargetKind, type TargetRecord, type TargetStatus } from '../contract/targets.ts';

/** What the scheduler hands a driver with each item. */
export interface DeliveryContext {
  signal: AbortSignal;
  /** Reports bytes acknowledged or written so far (progress events). */
  progress(bytesSent: number): void;
}

/**
 * The client side of one protocol as the queue sees it
 * (ARCHITECTURE.md "Protocols share one shape": the scheduler hands a protocol
 * one item at a time and records the outcome).
 *
 * `deliver` resolves only once the server acknowledged the item (Tentacle's
 * final SEND OK, an AMQP confirm, an Icinga log position, a Gorgone ACK) and
 * rejects with an AgentError whose `transient` flag drives the retry policy.
 */
export interface TargetDriver<Config = unknown> {
  kind: TargetKind;
  configSchema: z.ZodType<Config>;
  accepts: readonly ItemKind[];
  /** How many items of one target may be in flight at once, in FIFO order. */
  window: number;
  deliver(target: TargetRecord<Config>, item: QueueItem, ctx: DeliveryContext): Promise<void>;
  /** Checks an item can be delivered by this target before it is enqueued (e.g. file names). */
  validate?(target: TargetRecord<Config>, item: Pick<QueueItem, 'payload'>): void;
  status?(target: TargetRecord<Config>): TargetStatus;
}
