import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Agent } from '../../main/core/agent.ts';
import { checksModule } from '../../main/core/checks/module.ts';
import { captureInstance, modulesWith } from '../module-instance.ts';
import type { QueueService } from '../../main/core/queue/model.ts';
import type { EnqueueRequest, QueueItem } from '../../main/core/contract/queue-items.ts';
import type { BenchContext } from './harness.ts';

/**
 * Issue #10: scheduler overhead. 1,000 checks of /bin/true every 10 s feeding
 * an Icinga target, for WINDOW_MS: the agent's own CPU (children excluded)
 * and the latency from a check's slot to its result being queued. Run twice:
 * into the durable queue (issue #3), and into an in-memory queue, which
 * leaves the scheduler, runner, parser and delivery alone. Side by side: the
 * same 100 spawns per second of /bin/true from a bare loop.
 */
const CHECKS = 1000;
const INTERVAL_S = 10;
const WINDOW_MS = 30_000;

type EnqueueMany = (requests: readonly EnqueueRequest[]) => Promise<QueueItem[]>;

async function cpuShare(fn: () => Promise<void>): Promise<{ share: number; wallMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  return { share: (cpu.user + cpu.system) / 1000 / wallMs, wallMs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

function memoryQueue(): QueueService & { enqueueMany: EnqueueMany } {
  let id = 0;
  const enqueueMany: EnqueueMany = async (requests) =>
    requests.flatMap((request) => {
      if (request.kind !== 'check-result')
        throw new Error(`the bench only queues check results, not ${request.kind}`);
      return request.targets.map((target) => ({
        id: String(++id),
        target,
        payload: { kind: 'check-result' as const, result: request.result },
        state: 'queued' as const,
        createdAt: Date.now(),
        attempts: 0,
        nextAttemptAt: 0,
        lastError: undefined,
        bytesTotal: 0,
        bytesSent: 0,
        deliveredAt: undefined,
      }));
    });
  return { enqueueMany, enqueue: (r) => enqueueMany([r]), get: () => undefined };
}

/** Runs the checks for WINDOW_MS into `which` queue; returns CPU share and latencies. */
async function runWindow(
  ctx: BenchContext,
  which: 'durable' | 'memory',
): Promise<{ share: number; wallMs: number; latencies: number[] }> {
  const checks = captureInstance(checksModule);
  const agent = await Agent.open({
    dataDir: join(ctx.tmpDir, `checks-bench-${which}`),
    logToFile: false,
    modules: modulesWith(checks.module),
  });
  agent.context.settings.update((draft) => {
    draft.targets.ic = {
      name: 'ic',
      kind: 'icinga',
      createdAt: new Date().toISOString(),
      paused: false,
      config: {
        host: '127.0.0.1',
        port: 5665,
        endpoint: 'master.test',
        cn: 'bench.test',
        zone: 'bench.test',
        transport: 'cluster',
        commandEndpoint: {},
      },
    };
    (draft as Record<string, unknown>).checks = {
      definitions: Array.from({ length: CHECKS }, (_, i) => ({
        name: `true-${i}`,
        command: { argv: ['/bin/true'], shell: false },
        interval: INTERVAL_S,
        timeout: 10,
        targets: [{ target: 'ic', service: `true-${i}` }],
      })),
    };
  });
  const inner: QueueService = which === 'durable' ? agent.context.queue : memoryQueue();
  const latencies: number[] = [];
  const measure = (requests: readonly EnqueueRequest[]): void => {
    const now = Date.now();
    for (const r of requests)
      if (r.kind === 'check-result' && r.result.scheduleStart !== undefined)
        latencies.push(now - r.result.scheduleStart * 1000);
  };
  const many = (inner as QueueService & { enqueueMany?: EnqueueMany }).enqueueMany?.bind(inner);
  agent.context.queue = {
    enqueue: async (request) => {
      const items = await inner.enqueue(request);
      measure([request]);
      return items;
    },
    get: (id) => inner.get(id),
    ...(many === undefined
      ? {}
      : {
          enqueueMany: async (requests: readonly EnqueueRequest[]) => {
            const items = await many(requests);
            measure(requests);
            return items;
          },
        }),
  } as QueueService;
  const controller = new AbortController();
  const measured = await cpuShare(async () => {
    const running = checks.instance().service.run(controller.signal);
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    controller.abort();
    await running;
  });
  await agent.close();
  latencies.sort((a, b) => a - b);
  return { ...measured, latencies };
}

export default async function checksBench(ctx: BenchContext): Promise<void> {
  const durable = await runWindow(ctx, 'durable');
  const memory = await runWindow(ctx, 'memory');

  // Baseline: the same spawn rate from a bare loop, no scheduler, parsing or queue.
  const rate = CHECKS / INTERVAL_S;
  let spawned = 0;
  const bare = await cpuShare(async () => {
    const start = performance.now();
    const inFlight = new Set<Promise<void>>();
    while (performance.now() < start + WINDOW_MS) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (spawned < due) {
        spawned++;
        const p = new Promise<void>((resolve) =>
          spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'] }).once('close', () =>
            resolve(),
          ),
        );
        inFlight.add(p);
        void p.then(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inFlight);
  });

  ctx.log(
    `durable: ${durable.latencies.length} results in ${(durable.wallMs / 1000).toFixed(1)} s; in-memory: ${memory.latencies.length}; bare loop spawned ${spawned}`,
  );
  for (const [label, run] of [
    ['durable queue', durable],
    ['in-memory queue', memory],
  ] as const) {
    ctx.row({
      metric: `agent CPU, ${CHECKS} checks of /bin/true every ${INTERVAL_S} s, ${label}`,
      ours: run.share * 100,
      unit: '% of one core',
      baseline: bare.share * 100,
      baselineLabel: 'bare spawn loop, same rate',
      higherIsBetter: false,
    });
    ctx.row({
      metric: `schedule → queued median, ${label}`,
      ours: percentile(run.latencies, 50),
      unit: 'ms',
      higherIsBetter: false,
    });
    ctx.row({
      metric: `schedule → queued p99, ${label}`,
      ours: percentile(run.latencies, 99),
      unit: 'ms',
      higherIsBetter: false,
    });
    ctx.row({
      metric: `results per second, ${label}`,
      ours: (run.latencies.length / run.wallMs) * 1000,
      unit: 'per s',
      baseline: rate,
      baselineLabel: 'scheduled rate',
      higherIsBetter: true,
    });
  }
}
