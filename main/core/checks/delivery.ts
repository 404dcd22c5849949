import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import { join } from 'node:path';
import { inBackground } from '../background.ts';
import type { AgentContext } from '../context.ts';
import { toAgentError } from '../contract/errors.ts';
import { recordHistory } from '../protocols/gorgone/history.ts';
import { buildDataFile, dataFileName, type PandoraModule } from '../protocols/pandora/data-file.ts';
import { EnqueueBatcher } from './enqueue-batch.ts';
import type { CheckResultPayload, QueueItem, ValuePayload } from '../contract/queue-items.ts';
import type { TargetRecord } from '../contract/targets.ts';
import type { CheckDefinition, CheckTarget } from '../contract/check-definitions.ts';
import { checkResultModules, valueModule } from './pandora-modules.ts';
import { listDefinitions } from './store.ts';
import { perfdataStrings } from './result.ts';
import { type CheckResult } from '../contract/check-results.ts';
import { type TargetDelivery } from '../contract/checks.ts';

/** How long a snapshot of the paired targets is trusted (a removed target stops receiving within this). */
const SNAPSHOT_MS = 2_000;

/** How long results for one Pandora agent are gathered into one data file. */
const PANDORA_BATCH_MS = 1_000;

interface Snapshot {
  at: number;
  targets: Map<string, TargetRecord>;
  agentName: string;
  /** Shortest check interval per `target\0agentName` (the Pandora agent interval). */
  pandoraIntervals: Map<string, number>;
}

interface PandoraBatch {
  target: string;
  agentName: string;
  agentInterval: number;
  /** Latest execution end (Unix seconds): the file's agent timestamp. */
  timestamp: number;
  modules: PandoraModule[];
  waiters: Array<{ resolve(items: QueueItem[]): void; reject(error: unknown): void }>;
}

/** gorgone.md §3 result codes: MODULE_ACTION_COMMAND_RESULT. */
const GORGONE_COMMAND_RESULT = 100;

/** The default names on every backend: this agent's name. */
export function defaultAgentName(ctx: AgentContext): string {
  return ctx.settings.read().agent.name ?? hostname();
}

function pandoraOsName(): string {
  // pandora-data.md §3.3: 'Windows' and 'Darwin' match the server's rules, 'macOS' does not.
  return process.platform === 'win32'
    ? 'Windows'
    : process.platform === 'darwin'
      ? 'Darwin'
      : process.platform === 'linux'
        ? 'Linux'
        : process.platform;
}

/**
 * Fans one result out to every target of its check, as queue items (ARCHITECTURE.md
 * "Results have one path"). A target that fails does not stop the others.
 */
export class CheckDelivery {
  readonly #ctx: AgentContext;
  /** Last number used in a data file name per agent: names stay unique within a second (tentacle.md §5). */
  readonly #lastFileNumber = new Map<string, number>();
  /**
   * Reading settings.json parses and validates the whole file (every check
   * definition in it): at 100 results a second that was most of the agent's
   * CPU (tests/bench/checks.bench.ts). A snapshot of the targets and the agent
   * name lives for SNAPSHOT_MS.
   */
  #snapshot: Snapshot | undefined;
  readonly #pandoraBatches = new Map<string, PandoraBatch>();

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
    const record = this.#settings().targets.get(naming.target);
    const out: TargetDelivery = { target: naming.target, kind: record?.kind, itemIds: [] };
    try {
      if (record === undefined)
        throw new Error(
          `target '${naming.target}' is not paired (any more): edit the check or pair it again`,
        );
      let items: QueueItem[];
      switch (record.kind) {
        case 'icinga':
          items = await this.#icinga(def, naming, (record.config as { cn?: string }).cn, result);
          break;
        case 'tentacle':
          items = await this.#pandora(def, naming, result);
          break;
        case 'onsphere':
          items = await this.#onsphere(def, naming, result);
          break;
        case 'gorgone':
          items = [];
          out.historyId = this.#gorgone(def, result);
          break;
      }
      out.itemIds = items.map((i) => i.id);
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
      const pandoraIntervals = new Map<string, number>();
      for (const d of listDefinitions(this.#ctx.settings)) {
        if (!d.enabled) continue;
        for (const t of d.targets) {
          const key = `${t.target}\u0000${t.agentName ?? agentName}`;
          pandoraIntervals.set(
            key,
            Math.min(pandoraIntervals.get(key) ?? Number.POSITIVE_INFINITY, d.interval),
          );
        }
      }
      this.#snapshot = {
        at: now,
        targets: new Map(this.#ctx.targets.list().map((t) => [t.name, t])),
        agentName,
        pandoraIntervals,
      };
    }
    return this.#snapshot;
  }

  /** Icinga 2 (icinga2.md §4.2): host defaults to our endpoint name, service to the check name. */
  icingaPayload(
    def: Pick<CheckDefinition, 'name'>,
    naming: CheckTarget,
    cn: string | undefined,
    result: CheckResult,
  ): CheckResultPayload {
    const source = cn ?? this.#settings().agentName;
    const longLines = [
      result.longOutput,
      result.reason === undefined || result.output.includes(result.reason)
        ? ''
        : `(${result.reason})`,
    ].filter((l) => l !== '');
    const payload: CheckResultPayload = {
      host: naming.host ?? source,
      service: naming.service ?? def.name,
      state: result.state,
      output: result.output,
      performanceData: perfdataStrings(result),
      executionStart: result.executionStart,
      executionEnd: result.executionEnd,
      scheduleStart: result.scheduleStart,
      checkSource: source,
      check: def.name,
    };
    if (longLines.length > 0) payload.longOutput = longLines.join('\n');
    return payload;
  }

  async #icinga(
    def: Pick<CheckDefinition, 'name'>,
    naming: CheckTarget,
    cn: string | undefined,
    result: CheckResult,
  ): Promise<QueueItem[]> {
    return this.#batcher.enqueue({
      kind: 'check-result',
      targets: [naming.target],
      result: this.icingaPayload(def, naming, cn, result),
    });
  }

  /**
   * The agent `interval` Pandora uses as the unit of every module_interval
   * and of unknown detection (pandora-data.md §3.3, §3.5): it must not change
   * from file to file, so it is the shortest interval of the checks feeding
   * that agent on that target; each module then says its own multiple.
   */
  pandoraAgentInterval(target: string, agentName: string, fallback: number): number {
    return this.#settings().pandoraIntervals.get(`${target}\u0000${agentName}`) ?? fallback;
  }

  /** One data file (pandora-data.md §2, §3) holding the modules of one or more results (§7). */
  pandoraFile(
    agentName: string,
    agentInterval: number,
    timestamp: Date,
    modules: readonly PandoraModule[],
  ): { fileName: string; xml: string } {
    const xml = buildDataFile(
      {
        agentName,
        interval: agentInterval,
        timestamp,
        osName: pandoraOsName(),
        osVersion: release(),
        version: `Outpost ${this.#ctx.version}`,
      },
      modules,
    );
    const now = Math.floor(timestamp.getTime() / 1000);
    const number = Math.max(now, (this.#lastFileNumber.get(agentName) ?? 0) + 1);
    this.#lastFileNumber.set(agentName, number);
    return { fileName: dataFileName(agentName, number), xml };
  }

  /**
   * Results for the same Pandora agent that finish within PANDORA_BATCH_MS go
   * in one file: with `dataserver_smart_queue` the server takes only the newest
   * file per agent each cycle (pandora-data.md §5.1), so one file per result
   * would trickle in.
   */
  #pandora(
    def: Pick<CheckDefinition, 'name' | 'interval'>,
    naming: CheckTarget,
    result: CheckResult,
  ): Promise<QueueItem[]> {
    const agentName = naming.agentName ?? this.#settings().agentName;
    const agentInterval = this.pandoraAgentInterval(naming.target, agentName, def.interval);
    const moduleInterval = Math.max(1, Math.round(def.interval / agentInterval));
    const moduleName = naming.moduleName ?? def.name;
    const modules =
      naming.pandoraModule === undefined
        ? checkResultModules(result, moduleName, moduleInterval)
        : [valueModule(result, moduleName, naming.pandoraModule, moduleInterval)];
    const key = `${naming.target}\u0000${agentName}`;
    return new Promise((resolve, reject) => {
      let batch = this.#pandoraBatches.get(key);
      if (batch === undefined) {
        batch = {
          target: naming.target,
          agentName,
          agentInterval,
          timestamp: 0,
          modules: [],
          waiters: [],
        };
        this.#pandoraBatches.set(key, batch);
        setTimeout(() => {
          this.#pandoraBatches.delete(key);
          inBackground(this.#ctx.log, 'Pandora data file', () => this.#flushPandora(batch!));
        }, PANDORA_BATCH_MS);
      }
      batch.modules.push(...modules);
      batch.timestamp = Math.max(batch.timestamp, result.executionEnd);
      batch.waiters.push({ resolve, reject });
    });
  }

  async #flushPandora(batch: PandoraBatch): Promise<void> {
    try {
      const { fileName, xml } = this.pandoraFile(
        batch.agentName,
        batch.agentInterval,
        new Date(batch.timestamp * 1000),
        batch.modules,
      );
      // Written whole to a private scratch file first; the queue spools its own copy.
      const dir = join(this.#ctx.paths.root, 'checks-out');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const path = join(
        dir,
        `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}-${fileName}`,
      );
      await writeFile(path, xml, { mode: 0o600 });
      try {
        const items = await this.#batcher.enqueue({
          kind: 'file',
          targets: [batch.target],
          filePath: path,
          fileName,
        });
        if (items.every((i) => i.payload.kind === 'file' && i.payload.file.path !== path))
          await rm(path, { force: true });
        for (const w of batch.waiters) w.resolve(items);
      } catch (error) {
        await rm(path, { force: true });
        throw error;
      }
    } catch (error) {
      for (const w of batch.waiters) w.reject(error);
    }
  }

  /** OnSphere: `<valueId>.state` (0..3) and `<valueId>.<label>` per perfdata value. */
  onsphereValues(
    def: Pick<CheckDefinition, 'name'>,
    naming: CheckTarget,
    result: CheckResult,
  ): ValuePayload[] {
    const base =
      naming.valueId ?? `outpost.${sanitizeId(this.#settings().agentName)}.${sanitizeId(def.name)}`;
    const timestamp = Math.round(result.executionEnd * 1000);
    const values: ValuePayload[] = [
      {
        valueId: `${base}.state`,
        value: result.state,
        timestamp,
        quality: result.state === 3 ? 'ERROR' : 'GOOD',
      },
    ];
    for (const p of result.perfdata) {
      if (p.value === undefined) continue;
      values.push({
        valueId: `${base}.${sanitizeId(p.label)}`,
        value: p.value,
        timestamp,
        quality: 'GOOD',
      });
    }
    return values;
  }

  async #onsphere(
    def: Pick<CheckDefinition, 'name'>,
    naming: CheckTarget,
    result: CheckResult,
  ): Promise<QueueItem[]> {
    const items: QueueItem[] = [];
    for (const value of this.onsphereValues(def, naming, result)) {
      items.push(
        ...(await this.#batcher.enqueue({ kind: 'value', targets: [naming.target], value })),
      );
    }
    return items;
  }

  /**
   * Gorgone: a row in the node history, shaped as the action module's command
   * result (gorgone.md §8 COMMAND: code 100, `{command, result: {exit_code,
   * stdout}, metrics}`), so a central's GETLOG/SETLOGS picks it up. One token
   * per check: a GETLOG filtered on it (§9) is that check's history.
   */
  gorgoneEntry(
    def: Pick<CheckDefinition, 'name' | 'command' | 'builtin'>,
    result: CheckResult,
  ): { code: number; token: string; data: unknown; etime: number } {
    const command =
      def.command !== undefined ? def.command.argv.join(' ') : `builtin:${def.builtin?.kind ?? ''}`;
    const perfdata = perfdataStrings(result);
    const stdout = [
      result.output + (perfdata.length > 0 ? ` | ${perfdata.join(' ')}` : ''),
      result.longOutput,
    ]
      .filter((l) => l !== '')
      .join('\n');
    return {
      code: GORGONE_COMMAND_RESULT,
      token: `outpost-check-${sanitizeId(def.name)}`,
      etime: Math.floor(result.executionEnd),
      data: {
        command,
        result: { exit_code: result.exitCode ?? result.state, stdout },
        metrics: {
          start: result.executionStart,
          end: result.executionEnd,
          duration: result.executionEnd - result.executionStart,
        },
        metadata: {
          source: 'outpost-checks',
          check: def.name,
          host: this.#settings().agentName,
          state: result.state,
          state_name: result.stateName,
          perfdata,
          ...(result.reason === undefined ? {} : { reason: result.reason }),
        },
      },
    };
  }

  #gorgone(
    def: Pick<CheckDefinition, 'name' | 'command' | 'builtin'>,
    result: CheckResult,
  ): number {
    return recordHistory(this.#ctx, this.gorgoneEntry(def, result)).id;
  }
}

/** A perfdata label or name as one word of a value id. */
export function sanitizeId(text: string): string {
  const word = text.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return word === '' ? 'value' : word;
}
