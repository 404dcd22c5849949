import { execFile } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from '../../main/core/agent.ts';
import type { TransferQueue } from '../../main/core/queue/service.ts';
import type { BenchContext } from './harness.ts';
import { benchResult, instantModule } from './queue/instant.ts';

const run = promisify(execFile);

/** Issue #3 bench: durable enqueue (single and batched), dequeue+ack, RSS with 1,000,000 queued results. */
export default async function queueBench(ctx: BenchContext): Promise<void> {
  const agent = await Agent.open({
    dataDir: join(ctx.tmpDir, 'a'),
    logToFile: false,
    modules: [instantModule()],
  });
  agent.context.targets.save('t', 'instant', { port: 1 });
  const queue = agent.context.queue as TransferQueue;

  // Baseline: the same sqlite with the same pragmas, one plain INSERT per transaction.
  const raw = new DatabaseSync(join(ctx.tmpDir, 'raw.sqlite'));
  raw.exec(
    'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)',
  );
  const insert = raw.prepare('INSERT INTO t (payload) VALUES (?)');
  const payload = JSON.stringify(benchResult(1));
  const singleN = 2000;
  let start = performance.now();
  for (let i = 0; i < singleN; i++) insert.run(payload);
  const rawSingle = singleN / ((performance.now() - start) / 1000);
  const batch = 5_000;
  const batchedN = 100_000;
  start = performance.now();
  for (let i = 0; i < batchedN; i += batch) {
    raw.exec('BEGIN');
    for (let k = 0; k < batch; k++) insert.run(payload);
    raw.exec('COMMIT');
  }
  const rawBatched = batchedN / ((performance.now() - start) / 1000);
  raw.close();

  start = performance.now();
  for (let i = 0; i < singleN; i++) await queue.enqueue(benchResult(i));
  const single = singleN / ((performance.now() - start) / 1000);
  ctx.row({
    metric: 'durable enqueue, one item per call',
    ours: single,
    unit: 'items/s',
    baseline: rawSingle,
    baselineLabel: 'raw sqlite INSERT+fsync',
    target: '>= 2,000/s',
    met: single >= 2000,
  });

  start = performance.now();
  for (let i = 0; i < batchedN; i += batch) {
    await queue.enqueueMany(Array.from({ length: batch }, (_, k) => benchResult(i + k)));
  }
  const batched = batchedN / ((performance.now() - start) / 1000);
  ctx.row({
    metric: `durable enqueue, batches of ${batch}`,
    ours: batched,
    unit: 'items/s',
    baseline: rawBatched,
    baselineLabel: `raw sqlite INSERT, ${batch} per tx`,
    target: '>= 50,000/s',
    met: batched >= 50_000,
  });

  const total = singleN + batchedN;
  const stop = new AbortController();
  start = performance.now();
  const running = agent.run(stop.signal);
  for (;;) {
    const stats = await agent.api.getQueueStats({});
    if (stats.totals.delivered + stats.totals.cancelled >= total) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const drained = total / ((performance.now() - start) / 1000);
  stop.abort();
  await running;
  ctx.row({
    metric: 'dequeue + ack (instant driver, window 256)',
    ours: drained,
    unit: 'items/s',
    baseline: rawSingle,
    baselineLabel: 'raw sqlite INSERT+fsync',
  });
  await agent.close();

  // RSS while 1,000,000 results wait, in fresh processes: the queue pages through sqlite and never loads them all.
  const child = join(import.meta.dirname, 'queue', 'rss-child.ts');
  const measure = async (mode: 'tuned' | 'default') => {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', child, join(ctx.tmpDir, `rss-${mode}`), mode],
      { maxBuffer: 1 << 20 },
    );
    const rss = JSON.parse(stdout.trim().split('\n').pop()!) as {
      queued: number;
      before: number;
      peakLive: number;
      peakRaw: number;
      heapUsed: number;
    };
    ctx.log(
      `${mode} V8: queued ${rss.queued} results; RSS ${rss.before.toFixed(0)} → ${rss.peakLive.toFixed(0)} MiB after GC (${rss.peakRaw.toFixed(0)} MiB peak with garbage), JS heap used at the end ${rss.heapUsed.toFixed(0)} MiB`,
    );
    return rss.peakLive - rss.before;
  };
  const tuned = await measure('tuned');
  const untuned = await measure('default');
  ctx.row({
    metric: 'RSS growth, 0 → 1,000,000 queued results (as `outpost run`)',
    ours: tuned,
    unit: 'MiB',
    baseline: untuned,
    baselineLabel: 'same, default V8 flags',
    higherIsBetter: false,
    target: '< 50 MB',
    met: tuned < 50,
  });
}
