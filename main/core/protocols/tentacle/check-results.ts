/**
 * Local checks' results as Pandora FMS agent data files (pandora-data.md), sent
 * over Tentacle: what a Pandora agent would have written to its temporal folder.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { inBackground } from '../../background.ts';
import type { AgentContext } from '../../context.ts';
import type { QueueItem } from '../../contract/queue-items.ts';
import type { CheckResultDelivery, CheckResultOutcome } from '../../targets/driver.ts';
import { buildDataFile, dataFileName, type PandoraModule } from '../pandora/data-file.ts';
import { checkResultModules, valueModule } from '../pandora/modules.ts';

/** How long results for one Pandora agent are gathered into one data file. */
const PANDORA_BATCH_MS = 1_000;

interface PandoraBatch {
  target: string;
  agentName: string;
  agentInterval: number;
  /** Latest execution end (Unix seconds): the file's agent timestamp. */
  timestamp: number;
  modules: PandoraModule[];
  enqueue: CheckResultDelivery['enqueue'];
  waiters: Array<{ resolve(items: QueueItem[]): void; reject(error: unknown): void }>;
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

export class PandoraResultFiles {
  readonly #ctx: AgentContext;
  /** Last number used in a data file name per agent: names stay unique within a second (tentacle.md §5). */
  readonly #lastFileNumber = new Map<string, number>();
  readonly #batches = new Map<string, PandoraBatch>();

  constructor(ctx: AgentContext) {
    this.#ctx = ctx;
  }

  /** One data file (pandora-data.md §2, §3) holding the modules of one or more results (§7). */
  dataFile(
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
   * would trickle in. The agent `interval` is the unit of every module_interval
   * and of unknown detection (§3.3, §3.5): it must not change from file to file,
   * so it is the shortest interval of the checks feeding that agent on that
   * target; each module then says its own multiple.
   */
  deliver(target: { name: string }, delivery: CheckResultDelivery): Promise<CheckResultOutcome> {
    const { check, naming, result } = delivery;
    const agentName = naming.agentName ?? delivery.agentName;
    const agentInterval = delivery.agentInterval(agentName) ?? check.interval;
    const moduleInterval = Math.max(1, Math.round(check.interval / agentInterval));
    const moduleName = naming.moduleName ?? check.name;
    const modules =
      naming.pandoraModule === undefined
        ? checkResultModules(result, moduleName, moduleInterval)
        : [valueModule(result, moduleName, naming.pandoraModule, moduleInterval)];
    const key = `${target.name}\u0000${agentName}`;
    return new Promise<QueueItem[]>((resolve, reject) => {
      let batch = this.#batches.get(key);
      if (batch === undefined) {
        const created: PandoraBatch = {
          target: target.name,
          agentName,
          agentInterval,
          timestamp: 0,
          modules: [],
          enqueue: delivery.enqueue,
          waiters: [],
        };
        batch = created;
        this.#batches.set(key, created);
        setTimeout(() => {
          this.#batches.delete(key);
          inBackground(this.#ctx.log, 'Pandora data file', () => this.#flush(created));
        }, PANDORA_BATCH_MS);
      }
      batch.modules.push(...modules);
      batch.timestamp = Math.max(batch.timestamp, result.executionEnd);
      batch.waiters.push({ resolve, reject });
    }).then((items) => ({ items }));
  }

  async #flush(batch: PandoraBatch): Promise<void> {
    try {
      const { fileName, xml } = this.dataFile(
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
        const items = await batch.enqueue({
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
}
