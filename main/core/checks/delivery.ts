import { hostname } from 'node:os';
import type { AgentContext } from '../context.ts';
import { toAgentError } from '../contract/errors.ts';
import { EnqueueBatcher } from './enqueue-batch.ts';
import type { TargetRecord } from '../contract/targets.ts';
import type { CheckDefinition, CheckTarget } from '../contract/check-definitions.ts';
import { listDefinitions } from './store.ts';
import { type CheckResult } from '../contract/check-results.ts';
import { type TargetDelivery } from '../contract/checks.ts';

/** How long a snapshot of the paired targets is trusted (a removed target stops receiving within this). */
const SNAPSHOT_MS = 2_000;

interface Snapshot {
  at: number;
  targets: Map<string, TargetRecord>;
  agentName: string;
  /** Shortest check interval per `target\0agentName` (the Pandora agent interval). */
  agentIntervals: Map<string, number>;
}

/** The default names on every backend: this agent's name. */
export function defaultAgentName(ctx: AgentContext): string {
  return ctx.settings.read().agent.name ?? hostname();
}

/**
 * Fans one result out to every target of its check, as queue items (ARCHITECTURE.md
 * "Results have one path"). A target that fails does not stop the others.
 */
export class CheckDelivery {
  readonly #ctx: AgentContext;
  /**
   * Reading settings.json parses and validates the whole file (every check
   * definition in it): at 100 results a second that was most of the agent's
   * CPU (tests/bench/checks.bench.ts). A snapshot of the targets and the agent
   * name lives for SNAPSHOT_MS.
   */
  #snapshot: Snapshot | undefined;

  readonly #batcher: EnqueueBatcher;

  constructor(ctx: AgentContext) {
    this.#ctx = ctx;
    // Read at flush time: tests and benches may swap the agent's queue.
    this.#batcher = new EnqueueBatcher(() => ctx.queue);
  }

  /** Forget the settings snapshot (a check or target just changed in this process). */
  invalidate(): void {
    this.#snapshot = undefined;
  }

  async deliver(
    def: Pick<CheckDefinition, 'name' | 'interval' | 'targets' | 'command' | 'builtin'>,
    result: CheckResult,
  ): Promise<TargetDelivery[]> {
    return Promise.all(def.targets.map((t) => this.#deliverOne(def, t, result)));
  }

  async #deliverOne(
    def: Pick<CheckDefinition, 'name' | 'interval' | 'command' | 'builtin'>,
    naming: CheckTarget,
    result: CheckResult,
  ): Promise<TargetDelivery> {
    const snapshot = this.#settings();
    const record = snapshot.targets.get(naming.target);
    const out: TargetDelivery = { target: naming.target, kind: record?.kind, itemIds: [] };
    try {
      if (record === undefined)
        throw new Error(
          `target '${naming.target}' is not paired (any more): edit the check or pair it again`,
        );
      const driver = this.#ctx.targets.driver(record.kind);
      if (driver.deliverCheckResult === undefined)
        throw new Error(`${record.kind} targets take no check results`);
      const outcome = await driver.deliverCheckResult(record, {
        check: def,
        naming,
        result,
        agentName: snapshot.agentName,
        agentInterval: (agentName) =>
          snapshot.agentIntervals.get(`${naming.target}\u0000${agentName}`),
        enqueue: (request) => this.#batcher.enqueue(request),
      });
      out.itemIds = outcome.items.map((i) => i.id);
      if (outcome.historyId !== undefined) out.historyId = outcome.historyId;
    } catch (error) {
      out.error = toAgentError(error).message;
      this.#ctx.log.warn(`check '${def.name}': result not queued for ${naming.target}`, {
        error: out.error,
      });
    }
    return out;
  }

  #settings(): Snapshot {
    const now = Date.now();
    if (
      this.#snapshot === undefined ||
      now - this.#snapshot.at > SNAPSHOT_MS ||
      now < this.#snapshot.at
    ) {
      const agentName = defaultAgentName(this.#ctx);
      const agentIntervals = new Map<string, number>();
      for (const d of listDefinitions(this.#ctx.settings)) {
        if (!d.enabled) continue;
        for (const t of d.targets) {
          const key = `${t.target}\u0000${t.agentName ?? agentName}`;
          agentIntervals.set(
            key,
            Math.min(agentIntervals.get(key) ?? Number.POSITIVE_INFINITY, d.interval),
          );
        }
      }
      this.#snapshot = {
        at: now,
        targets: new Map(this.#ctx.targets.list().map((t) => [t.name, t])),
        agentName,
        agentIntervals,
      };
    }
    return this.#snapshot;
  }
}
