import type { z } from 'zod';
import type { CheckDefinition, CheckTarget } from '../contract/check-definitions.ts';
import type { CheckResult } from '../contract/check-results.ts';
import type { Pin } from '../contract/identity.ts';
import type { EnqueueRequest, ItemKind, QueueItem } from '../contract/queue-items.ts';
import { type TargetKind, type TargetRecord, type TargetStatus } from '../contract/targets.ts';

/** What the scheduler hands a driver with each item. */
export interface DeliveryContext {
  signal: AbortSignal;
  /** Reports bytes acknowledged or written so far (progress events). */
  progress(bytesSent: number): void;
  /** The item's destination when it is not the target itself (see `copyDestinations`). */
  destination?: string;
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
  /**
   * Destinations of the target that each get their own copy of every item
   * queued for it, in a FIFO of their own (queue address `<target>/<destination>`,
   * contract/targets.ts): `deliver` then gets `ctx.destination`. Absent: none.
   */
  copyDestinations?(target: TargetRecord<Config>): readonly string[];
  /** Checks an item can be delivered by this target before it is enqueued (e.g. file names). */
  validate?(target: TargetRecord<Config>, item: Pick<QueueItem, 'payload'>): void;
  status?(target: TargetRecord<Config>): TargetStatus;
  /**
   * What the identity page lists as this target's pins, when its servers are
   * checked against more than the identity store's one pin per target (each
   * master of an Icinga HA parent zone has its own): `stored` is that pin.
   * Absent: the stored pin.
   */
  pins?(target: TargetRecord, stored: Pin | undefined): Pin[];
  /**
   * Maps one local check's result to this protocol's payloads for `target`
   * (ARCHITECTURE.md "Results have one path"): checks/ fans a result out through
   * this hook and never switches on a protocol kind. Absent: the kind takes no
   * check results.
   */
  /** The naming fields of a check's target entry this kind reads (host/service, module, value id…). */
  checkNaming?: ReadonlyArray<keyof CheckTarget>;
  deliverCheckResult?(
    target: TargetRecord<Config>,
    delivery: CheckResultDelivery,
  ): Promise<CheckResultOutcome>;
}

/** What checks/ hands a driver with one result for one of the check's targets. */
export interface CheckResultDelivery {
  check: Pick<CheckDefinition, 'name' | 'interval' | 'command' | 'builtin'>;
  /** How the check names its result on this target (host/service, module, value id…). */
  naming: CheckTarget;
  result: CheckResult;
  /** This agent's name (settings `agent.name`, else the host name). */
  agentName: string;
  /**
   * The shortest interval of the enabled checks that report to this target as
   * `agentName` (the Pandora agent interval, pandora-data.md §3.3).
   */
  agentInterval(agentName: string): number | undefined;
  /** Queues payloads durably, in one write with the other results finishing together. */
  enqueue(request: EnqueueRequest): Promise<QueueItem[]>;
}

export interface CheckResultOutcome {
  items: QueueItem[];
  /** Set when the result was recorded without a queue item (Gorgone's node history). */
  historyId?: number;
}
