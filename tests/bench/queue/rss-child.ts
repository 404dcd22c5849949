/**
 * Run with --expose-gc in a fresh process: enqueues 1,000,000 check results
 * and prints RSS samples as JSON. A fresh process so the growth measured is
 * the queue's, not the previous bench phase's garbage. `tuned` applies what
 * `outpost run` and the tray app apply (runtime-tuning.ts); `default` does not.
 */
import { Agent } from '../../../main/core/agent.ts';
import { tuneForLongRunning } from '../../../main/core/runtime-tuning.ts';
import type { TransferQueue } from '../../../main/core/queue/service.ts';
import { benchResult, instantModule } from './instant.ts';

const dataDir = process.argv[2]!;
const mode = process.argv[3] ?? 'tuned';
const total = Number(process.argv[4] ?? 1_000_000);
if (mode === 'tuned') tuneForLongRunning();
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const rss = (): number => process.memoryUsage().rss / 1024 / 1024;

const agent = await Agent.open({ dataDir, logToFile: false, modules: [instantModule()] });
agent.context.targets.save('t', 'instant', { port: 1 });
const queue = agent.context.queue as TransferQueue;
await queue.enqueueMany([benchResult(0)]); // warm every code path before the baseline
gc();
const before = rss();
let peakLive = before;
let peakRaw = before;
const batch = 10_000;
for (let i = 1; i < total; i += batch) {
  await queue.enqueueMany(
    Array.from({ length: Math.min(batch, total - i) }, (_, k) => benchResult(i + k)),
  );
  peakRaw = Math.max(peakRaw, rss());
  if ((i - 1) % 100_000 === 0) {
    gc();
    peakLive = Math.max(peakLive, rss());
  }
}
const stats = await agent.api.getQueueStats({});
await agent.api.listQueue({ limit: 100 });
gc();
peakLive = Math.max(peakLive, rss());
const heapUsed = process.memoryUsage().heapUsed / 1024 / 1024;
process.stdout.write(
  `${JSON.stringify({ queued: stats.totals.queued, before, peakLive, peakRaw, heapUsed })}\n`,
);
await agent.close();
