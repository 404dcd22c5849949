import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Agent } from '../../main/core/agent.ts';
import { checksService } from '../../main/core/checks/module.ts';
import type { EnqueueRequest, QueueItem, QueueService } from '../../main/core/queue/model.ts';
import type { BenchContext } from './harness.ts';

/**
 * Issue #10: scheduler overhead. 1,000 checks of /bin/true every 10 s feeding
 * an Icinga target, for WINDOW_MS: the agent's own CPU (children excluded)
 * and the latency from a check's slot to its result being queued. Side by
 * side: the same 100 spawns per second of /bin/true from a bare loop.
 */
const CHECKS = 1000;
const INTERVAL_S = 10;
const WINDOW_MS = 30_000;

function cpuShare(fn: () => Promise<void>): Promise<{ share: number; wallMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return fn().then(() => {
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    return { share: (cpu.user + cpu.system) / 1000 / wallMs, wallMs };
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

export default async function checksBench(ctx: BenchContext): Promise<void> {
  const agent = await Agent.open({ dataDir: join(ctx.tmpDir, 'checks-bench'), logToFile: false });
  agent.context.settings.update((draft) => {
    draft.targets.ic = {
      name: 'ic',
      kind: 'icinga',
      createdAt: new Date().toISOString(),
      paused: false,
      config: { host: '127.0.0.1', port: 5665, endpoint: 'master.test', cn: 'bench.test', zone: 'bench.test', transport: 'cluster', commandEndpoint: {} },
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

  // The real queue (durable enqueue) when it is built; otherwise an in-memory one, and the row says so.
  let queueLabel = 'durable queue';
  const real = agent.context.queue;
  let inner: QueueService = real;
  try {
    await real.enqueue({ kind: 'check-result', targets: ['ic'], result: { host: 'bench.test', service: 'probe', state: 0, output: 'probe', performanceData: [], executionStart: Date.now() / 1000, executionEnd: Date.now() / 1000 } });
  } catch {
    queueLabel = 'in-memory queue (issue #3 queue not built)';
    let id = 0;
    inner = {
      enqueue: async (request: EnqueueRequest): Promise<QueueItem[]> => {
        if (request.kind !== 'check-result') throw new Error(`the bench only queues check results, not ${request.kind}`);
        return request.targets.map((target) => ({ id: String(++id), target, payload: { kind: 'check-result', result: request.result }, state: 'queued', createdAt: Date.now(), attempts: 0, nextAttemptAt: 0, lastError: undefined, bytesTotal: 0, bytesSent: 0, deliveredAt: undefined }));
      },
      get: () => undefined,
    };
  }
  const latencies: number[] = [];
  const measure = (requests: readonly EnqueueRequest[]): void => {
    const now = Date.now();
    for (const r of requests) if (r.kind === 'check-result' && r.result.scheduleStart !== undefined) latencies.push(now - r.result.scheduleStart * 1000);
  };
  const many = (inner as QueueService & { enqueueMany?: (r: readonly EnqueueRequest[]) => Promise<QueueItem[]> }).enqueueMany?.bind(inner);
  agent.context.queue = Object.assign(
    {
      enqueue: async (request: EnqueueRequest) => {
        const items = await inner.enqueue(request);
        measure([request]);
        return items;
      },
      get: (id: string) => inner.get(id),
    },
    many === undefined
      ? {}
      : {
          enqueueMany: async (requests: readonly EnqueueRequest[]) => {
            const items = await many(requests);
            measure(requests);
            return items;
          },
        },
  );

  const controller = new AbortController();
  const ours = await cpuShare(async () => {
    const running = checksService(agent.context).run(controller.signal);
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    controller.abort();
    await running;
  });
  await agent.close();

  // Baseline: the same spawn rate from a bare loop, no scheduler, parsing or queue.
  const rate = CHECKS / INTERVAL_S;
  let spawned = 0;
  const bare = await cpuShare(async () => {
    const end = performance.now() + WINDOW_MS;
    const inFlight = new Set<Promise<void>>();
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - (end - WINDOW_MS)) / 1000) * rate);
      while (spawned < due) {
        spawned++;
        const p = new Promise<void>((resolve) => spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'] }).once('close', () => resolve()));
        inFlight.add(p);
        void p.then(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inFlight);
  });

  latencies.sort((a, b) => a - b);
  ctx.log(`${latencies.length} results queued in ${(ours.wallMs / 1000).toFixed(1)} s (${queueLabel}); bare loop spawned ${spawned}`);
  ctx.row({
    metric: `agent CPU, ${CHECKS} checks of /bin/true every ${INTERVAL_S} s (${queueLabel})`,
    ours: ours.share * 100,
    unit: '% of one core',
    baseline: bare.share * 100,
    baselineLabel: 'bare spawn loop, same rate',
    higherIsBetter: false,
  });
  ctx.row({ metric: 'result latency schedule → queued, median', ours: percentile(latencies, 50), unit: 'ms', higherIsBetter: false });
  ctx.row({ metric: 'result latency schedule → queued, p99', ours: percentile(latencies, 99), unit: 'ms', higherIsBetter: false });
  ctx.row({ metric: 'results per second', ours: (latencies.length / ours.wallMs) * 1000, unit: 'per s', baseline: rate, baselineLabel: 'scheduled rate', higherIsBetter: true });
}
