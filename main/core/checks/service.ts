import type { AgentContext } from '../context.ts';
import type { CheckRunOutcome, CheckSummary } from '../contract/checks.ts';
import { AgentError } from '../contract/errors.ts';
import { ownValue } from '../own.ts';
import { validateBuiltinOptions } from './builtin.ts';
import { type CheckDefinition } from '../contract/check-definitions.ts';
import { CheckDelivery } from './delivery.ts';
import { LastResults } from './last-results.ts';
import type { CheckResult } from '../contract/check-results.ts';
import { runCheck, type RunnableDefinition } from './runner.ts';
import { CheckScheduler, type SchedulerClock } from './scheduler.ts';
import {
  findDefinition,
  getDefinition,
  listDefinitions,
  readChecksSection,
  updateDefinitions,
} from './store.ts';
import { untilAborted } from '../abort.ts';
import { assertLocallyEditable } from './managed.ts';

/** How often the daemon re-reads the checks section (the CLI may have changed it). */
const RELOAD_INTERVAL_MS = 10_000;

/** Local checks: definitions, runs, results, delivery. One per agent. */
export class ChecksService {
  readonly #ctx: AgentContext;
  readonly delivery: CheckDelivery;
  readonly lastResults: LastResults;
  #scheduler: CheckScheduler<CheckDefinition> | undefined;
  /** Checks whose program runs right now. */
  readonly #running = new Set<string>();

  constructor(ctx: AgentContext) {
    this.#ctx = ctx;
    this.delivery = new CheckDelivery(ctx);
    this.lastResults = new LastResults(ctx.paths.root, ctx.log.child('checks'));
  }

  list(): CheckSummary[] {
    const runs = this.lastResults.all();
    const schedule = new Map((this.#scheduler?.schedule() ?? []).map((s) => [s.name, s]));
    return listDefinitions(this.#ctx.settings).map((definition) => {
      const last = ownValue(runs, definition.name);
      const summary: CheckSummary = {
        definition,
        targets: definition.targets.map((t) => {
          const delivery = last?.deliveries.find((d) => d.target === t.target) ?? {
            target: t.target,
            kind: this.#ctx.targets.find(t.target)?.kind,
            itemIds: [],
          };
          const item =
            delivery.itemIds.length > 0 ? this.#ctx.queue.get(delivery.itemIds.at(-1)!) : undefined;
          return {
            ...delivery,
            ...(item === undefined ? {} : { itemState: item.state }),
            ...(item?.lastError === undefined ? {} : { itemError: item.lastError }),
          };
        }),
      };
      if (last !== undefined) summary.lastResult = last.result;
      const next = schedule.get(definition.name);
      if (next !== undefined) summary.nextRunAt = next.nextRunAt;
      return summary;
    });
  }

  /** Checks a definition against the paired targets before it is saved. */
  validate(def: CheckDefinition): void {
    if (def.builtin !== undefined) validateBuiltinOptions(def.builtin.kind, def.builtin.options);
    def.targets.forEach((t, i) => {
      const record = this.#ctx.targets.get(t.target, `targets.${i}.target`);
      const allowed = this.#ctx.targets.driver(record.kind).checkNaming ?? [];
      for (const key of Object.keys(t) as Array<keyof typeof t>) {
        if (key !== 'target' && t[key] !== undefined && !allowed.includes(key)) {
          throw new AgentError(
            'invalid-request',
            `targets.${i}.${key} does not apply to ${record.kind} target '${t.target}'${allowed.length > 0 ? `: it takes ${allowed.join(', ')}` : ''}`,
            { field: `targets.${i}.${key}` },
          );
        }
      }
    });
  }

  add(def: CheckDefinition): CheckDefinition {
    assertLocallyEditable(readChecksSection(this.#ctx.settings), [def]);
    this.validate(def);
    if (findDefinition(this.#ctx.settings, def.name) !== undefined) {
      throw new AgentError(
        'conflict',
        `a check named '${def.name}' already exists: pick another name or update it`,
        { field: 'name' },
      );
    }
    updateDefinitions(this.#ctx.settings, (defs) => [...defs, def]);
    this.reload();
    return def;
  }

  update(name: string, def: CheckDefinition): CheckDefinition {
    const old = getDefinition(this.#ctx.settings, name);
    assertLocallyEditable(readChecksSection(this.#ctx.settings), [old, def]);
    this.validate(def);
    if (def.name !== name && findDefinition(this.#ctx.settings, def.name) !== undefined) {
      throw new AgentError('conflict', `a check named '${def.name}' already exists`, {
        field: 'definition.name',
      });
    }
    updateDefinitions(this.#ctx.settings, (defs) => defs.map((d) => (d.name === name ? def : d)));
    this.lastResults.rename(name, def.name);
    this.reload();
    return def;
  }

  remove(name: string): void {
    const old = getDefinition(this.#ctx.settings, name);
    assertLocallyEditable(readChecksSection(this.#ctx.settings), [old]);
    updateDefinitions(this.#ctx.settings, (defs) => defs.filter((d) => d.name !== name));
    this.lastResults.forget(name);
    this.reload();
  }

  /** One run: execute, deliver to every target, remember, tell the UIs. */
  async runAndDeliver(
    def: CheckDefinition,
    scheduleStart: number,
    signal?: AbortSignal,
  ): Promise<CheckRunOutcome> {
    const result = await this.#runExclusive(def, scheduleStart, signal);
    return this.#deliverAndRecord(def, result);
  }

  /**
   * Never two runs of one check at once, whoever asks (scheduler or "run
   * now"): a second request while the program runs is refused, saying why.
   */
  async #runExclusive(
    def: CheckDefinition,
    scheduleStart: number,
    signal?: AbortSignal,
  ): Promise<CheckResult> {
    if (this.#running.has(def.name)) {
      throw new AgentError(
        'conflict',
        `check '${def.name}' is running right now: its result will show when it ends`,
        { field: 'name' },
      );
    }
    this.#running.add(def.name);
    try {
      return await runCheck(def, { scheduleStart, ...(signal === undefined ? {} : { signal }) });
    } finally {
      this.#running.delete(def.name);
    }
  }

  async #deliverAndRecord(def: CheckDefinition, result: CheckResult): Promise<CheckRunOutcome> {
    const deliveries = await this.delivery.deliver(def, result);
    this.lastResults.record(def.name, { result, deliveries });
    this.#ctx.events.emit('checks.result', { check: def.name, result, deliveries });
    return { result, deliveries, dryRun: false };
  }

  async runNow(request: {
    name?: string | undefined;
    definition?: RunnableDefinition & Partial<CheckDefinition>;
    dryRun: boolean;
  }): Promise<CheckRunOutcome> {
    if (request.name !== undefined) {
      const def = getDefinition(this.#ctx.settings, request.name);
      if (request.dryRun)
        return {
          result: await this.#runExclusive(def, Date.now() / 1000),
          deliveries: [],
          dryRun: true,
        };
      const outcome = await this.runAndDeliver(def, Date.now() / 1000);
      await this.lastResults.flush();
      return outcome;
    }
    const draft = request.definition!;
    if (draft.builtin !== undefined)
      validateBuiltinOptions(draft.builtin.kind, draft.builtin.options);
    const result = await runCheck(draft);
    if (request.dryRun || draft.targets === undefined || draft.targets.length === 0)
      return { result, deliveries: [], dryRun: true };
    const deliveries = await this.delivery.deliver(
      { name: draft.name, interval: draft.interval ?? 60, targets: draft.targets },
      result,
    );
    return { result, deliveries, dryRun: false };
  }

  reload(): void {
    this.delivery.invalidate();
    if (this.#scheduler === undefined) return;
    this.#scheduler.setDefinitions(listDefinitions(this.#ctx.settings).filter((d) => d.enabled));
  }

  /** The daemon side: schedules every enabled check until `signal` aborts. */
  async run(signal: AbortSignal, clock?: SchedulerClock): Promise<void> {
    const section = readChecksSection(this.#ctx.settings);
    const deliveries = new Set<Promise<void>>();
    const scheduler = new CheckScheduler<CheckDefinition>({
      maxConcurrent: section.maxConcurrent,
      ...(clock === undefined ? {} : { clock }),
      // A runner slot is held while the program runs; queueing the result (a
      // durable write) happens outside it, so slow disks do not starve the runners.
      execute: async (def, scheduledAt) => {
        if (this.#running.has(def.name)) {
          this.#ctx.log.info(`check '${def.name}' is being run by hand: this slot is skipped`);
          return;
        }
        const result = await this.#runExclusive(def, scheduledAt / 1000, signal);
        const delivering = this.#deliverAndRecord(def, result)
          .then(() => undefined)
          .catch((error: unknown) =>
            this.#ctx.log.error(`check '${def.name}': result not recorded`, {
              error: String(error),
            }),
          )
          .finally(() => deliveries.delete(delivering));
        deliveries.add(delivering);
      },
      onSkip: (def) =>
        this.#ctx.log.warn(`check '${def.name}' is still running: this slot is skipped`, {
          interval: def.interval,
          timeout: def.timeout,
        }),
    });
    this.#scheduler = scheduler;
    this.reload();
    scheduler.start();
    // settings.json re-read every 10 s; reloaded only when it changed (one stat per turn at rest).
    let seen = this.#ctx.settings.read();
    const reloader = setInterval(() => {
      try {
        const now = this.#ctx.settings.read();
        if (now === seen) return;
        seen = now;
        this.reload();
      } catch (error) {
        this.#ctx.log.warn(
          'checks section of settings.json is invalid: keeping the previous checks',
          { error: String(error) },
        );
      }
    }, RELOAD_INTERVAL_MS);
    await untilAborted(signal);
    clearInterval(reloader);
    await scheduler.stop();
    await Promise.all([...deliveries]);
    this.#scheduler = undefined;
    await this.lastResults.flush();
  }
}
