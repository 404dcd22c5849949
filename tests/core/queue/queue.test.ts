import { existsSync } from 'node:fs';
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import { backoffDelayMs } from '../../../main/core/queue/retry.ts';
import { DeliveryLock } from '../../../main/core/queue/lock.ts';
import { AckServer } from '../../peers/ack-server.ts';
import { makeTempDir, sleep } from '../../peers/util.ts';
import { ackModule } from './ack-driver.ts';
import { eventually } from '../../poll.ts';

let dir: string;
let cleanup: () => Promise<void>;
let server: AckServer;
let agent: Agent;
let free = Number.MAX_SAFE_INTEGER;
const delivered: string[] = [];

async function openAgent(window = 1): Promise<Agent> {
  return Agent.open({
    dataDir: dir,
    logToFile: false,
    modules: [ackModule({ window, delivered })],
    queue: { pollMs: 20, freeSpace: async () => free, lockRetryMs: 50 },
  });
}

function pairTarget(a: Agent, name: string, port = server.port): void {
  a.context.targets.save(name, 'ack', { port });
  a.context.settings.update((d) => {
    (d as Record<string, unknown>).queue = { backoff: { baseMs: 20, capMs: 100 } };
  });
}

const value = (i: number) => ({ valueId: `v${i}`, value: i });

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('queue'));
  server = await AckServer.start();
  free = Number.MAX_SAFE_INTEGER;
  delivered.length = 0;
  agent = await openAgent();
  pairTarget(agent, 'a');
});

afterEach(async () => {
  await agent.close();
  await server.stop();
  await cleanup();
});

describe('enqueue', () => {
  it('makes one durable item per target (fan-out) before it returns', async () => {
    pairTarget(agent, 'b');
    const { items } = await agent.api.enqueueValue({ targets: ['a', 'b'], value: value(1) });
    expect(items.map((i) => [i.target, i.state])).toEqual([
      ['a', 'queued'],
      ['b', 'queued'],
    ]);
    await agent.close();
    agent = await openAgent();
    expect((await agent.api.listQueue({})).map((i) => i.id).sort()).toEqual(
      items.map((i) => i.id).sort(),
    );
  });

  it('spools a file copy per target that survives the original being deleted', async () => {
    pairTarget(agent, 'b');
    const source = join(dir, 'report.data');
    await writeFile(source, 'x'.repeat(10_000));
    const { items } = await agent.api.enqueueFile({ targets: ['a', 'b'], path: source });
    expect(items).toHaveLength(2);
    const [first, second] = items.map((i) =>
      i.payload.kind === 'file' ? i.payload.file : undefined,
    );
    expect(first?.sha256).toBe(second?.sha256);
    expect(first?.size).toBe(10_000);
    expect(first?.path).not.toBe(second?.path);
    expect(existsSync(first!.path) && existsSync(second!.path)).toBe(true);
  });

  it('names the unknown target and lists the paired ones', async () => {
    await expect(agent.api.enqueueValue({ targets: ['nope'], value: value(1) })).rejects.toThrow(
      /unknown target 'nope': paired targets are a/,
    );
  });

  it('refuses a missing file, a folder and an empty target list with clear errors, and writes nothing', async () => {
    await expect(
      agent.api.enqueueFile({ targets: ['a'], path: join(dir, 'absent') }),
    ).rejects.toThrow(/no such file/);
    await mkdir(join(dir, 'folder'));
    await expect(
      agent.api.enqueueFile({ targets: ['a'], path: join(dir, 'folder') }),
    ).rejects.toThrow(/not a regular file/);
    await expect(
      agent.call('enqueueValue', { targets: [], value: value(1) }),
    ).rejects.toMatchObject({ field: 'targets' });
    expect(await agent.api.listQueue({})).toEqual([]);
  });

  it("runs the target driver's validation for every target before anything is stored", async () => {
    const source = join(dir, 'ok.txt');
    await writeFile(source, 'data');
    await expect(
      agent.api.enqueueFile({ targets: ['a'], path: source, name: 'bad/name' }),
    ).rejects.toThrow(/must not contain/);
    expect(await agent.api.listQueue({})).toEqual([]);
    expect(await readdir(join(dir, 'spool')).catch(() => [])).toEqual([]);
  });
});

describe('delivery', () => {
  it('delivers FIFO per target, marks items delivered only on the server acknowledgement', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++)
      ids.push(
        ...(await agent.api.enqueueValue({ targets: ['a'], value: value(i) })).items.map(
          (x) => x.id,
        ),
      );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await eventually(async () => (await agent.api.getQueueStats({})).totals.delivered === 30, {
      timeout: 15_000,
      interval: 20,
    });
    stop.abort();
    await running;
    expect(server.received).toEqual(ids);
    const item = await agent.api.getQueueItem({ id: ids[0]! });
    expect(item).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it('keeps a refused item as failed with the reason, and delivers it on retry', async () => {
    server.mode = 'refuse';
    const [item] = (await agent.api.enqueueValue({ targets: ['a'], value: value(1) })).items;
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await eventually(
      async () => (await agent.api.getQueueItem({ id: item!.id })).state === 'failed',
      { timeout: 15_000, interval: 20 },
    );
    expect((await agent.api.getQueueItem({ id: item!.id })).lastError).toContain('refused');
    server.mode = 'ack';
    await agent.api.retryQueueItem({ id: item!.id });
    await eventually(
      async () => (await agent.api.getQueueItem({ id: item!.id })).state === 'delivered',
      { timeout: 15_000, interval: 20 },
    );
    stop.abort();
    await running;
  });

  it('retries transient failures with backoff until the server is back', async () => {
    server.mode = 'drop';
    const [item] = (await agent.api.enqueueValue({ targets: ['a'], value: value(1) })).items;
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await eventually(async () => (await agent.api.getQueueItem({ id: item!.id })).attempts >= 3, {
      timeout: 15_000,
      interval: 20,
    });
    const waiting = await agent.api.getQueueItem({ id: item!.id });
    expect(waiting.state === 'queued' || waiting.state === 'sending').toBe(true);
    server.mode = 'ack';
    await eventually(
      async () => (await agent.api.getQueueItem({ id: item!.id })).state === 'delivered',
      { timeout: 15_000, interval: 20 },
    );
    stop.abort();
    await running;
    expect(server.received).toEqual([item!.id]);
  });

  it('does not deliver to a paused target, and resumes', async () => {
    await agent.api.pauseTarget({ target: 'a' });
    const [item] = (await agent.api.enqueueValue({ targets: ['a'], value: value(1) })).items;
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await sleep(300);
    expect((await agent.api.getQueueItem({ id: item!.id })).state).toBe('queued');
    await agent.api.resumeTarget({ target: 'a' });
    await eventually(
      async () => (await agent.api.getQueueItem({ id: item!.id })).state === 'delivered',
      { timeout: 15_000, interval: 20 },
    );
    stop.abort();
    await running;
  });

  it('never delivers an older result for a host/service after a newer one was delivered', async () => {
    const result = (state: number) => ({
      host: 'h',
      service: 's',
      state,
      output: `s${state}`,
      executionStart: 1,
      executionEnd: 1,
    });
    server.mode = 'refuse';
    const [older] = (await agent.api.enqueueCheckResult({ targets: ['a'], result: result(2) }))
      .items;
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await eventually(
      async () => (await agent.api.getQueueItem({ id: older!.id })).state === 'failed',
      { timeout: 15_000, interval: 20 },
    );
    server.mode = 'ack';
    const [newer] = (await agent.api.enqueueCheckResult({ targets: ['a'], result: result(0) }))
      .items;
    await eventually(
      async () => (await agent.api.getQueueItem({ id: newer!.id })).state === 'delivered',
      { timeout: 15_000, interval: 20 },
    );
    await agent.api.retryQueueItem({ id: older!.id });
    await eventually(
      async () => (await agent.api.getQueueItem({ id: older!.id })).state === 'cancelled',
      { timeout: 15_000, interval: 20 },
    );
    stop.abort();
    await running;
    expect((await agent.api.getQueueItem({ id: older!.id })).lastError).toMatch(/superseded/);
    expect(server.received).toEqual([newer!.id]);
  });

  it('puts in-flight items back to queued after a crash (at-least-once)', async () => {
    server.mode = 'stall';
    const [item] = (await agent.api.enqueueValue({ targets: ['a'], value: value(1) })).items;
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await eventually(
      async () => (await agent.api.getQueueItem({ id: item!.id })).state === 'sending',
      { timeout: 15_000, interval: 20 },
    );
    // Simulate the crash: another agent opens the same store while this one never finished.
    const again = await Agent.open({
      dataDir: join(dir),
      logToFile: false,
      modules: [ackModule()],
      queue: { pollMs: 20 },
    });
    expect((await again.api.getQueueItem({ id: item!.id })).state).toBe('sending');
    stop.abort();
    await running;
    expect((await again.api.getQueueItem({ id: item!.id })).state).toBe('queued');
    await again.close();
  });
});

describe('caps', () => {
  it('refuses new items when the size cap is hit under refuse-new, naming the setting', async () => {
    await agent.api.updateQueueSettings({
      maxTotalBytes: 1024 * 1024,
      defaultPolicy: 'refuse-new',
    });
    const big = join(dir, 'big');
    await writeFile(big, Buffer.alloc(700 * 1024));
    await agent.api.enqueueFile({ targets: ['a'], path: big });
    await expect(agent.api.enqueueFile({ targets: ['a'], path: big })).rejects.toThrow(
      /queue.maxTotalBytes/,
    );
    expect(await agent.api.listQueue({})).toHaveLength(1);
    expect((await readdir(join(dir, 'spool'))).filter((f) => !f.endsWith('.tmp'))).toHaveLength(1);
  });

  it('drops the oldest under drop-oldest and counts every drop', async () => {
    await agent.api.updateQueueSettings({
      maxTotalBytes: 1024 * 1024,
      policies: { a: 'drop-oldest' },
    });
    const big = join(dir, 'big');
    await writeFile(big, Buffer.alloc(400 * 1024));
    const first = (await agent.api.enqueueFile({ targets: ['a'], path: big })).items[0]!;
    await agent.api.enqueueFile({ targets: ['a'], path: big });
    await agent.api.enqueueFile({ targets: ['a'], path: big });
    const dropped = await agent.api.getQueueItem({ id: first.id });
    expect(dropped.state).toBe('cancelled');
    expect(dropped.lastError).toMatch(/dropped/);
    const stats = await agent.api.getQueueStats({});
    expect(stats.totals.drops).toBe(1);
    expect(stats.targets.find((t) => t.target === 'a')?.drops).toEqual([
      { reason: 'max-total-bytes', count: 1, bytes: 400 * 1024 },
    ]);
  });

  it('refuses to fill the disk past the free-space minimum, leaving nothing half-written', async () => {
    free = 100 * 1024 * 1024;
    await agent.api.updateQueueSettings({ minFreeBytes: 99 * 1024 * 1024 });
    const big = join(dir, 'big');
    await writeFile(big, Buffer.alloc(2 * 1024 * 1024));
    await expect(agent.api.enqueueFile({ targets: ['a'], path: big })).rejects.toThrow(
      /queue.minFreeBytes/,
    );
    expect(await agent.api.listQueue({})).toEqual([]);
    expect(await readdir(join(dir, 'spool'))).toEqual([]);
  });
});

describe('retry policy', () => {
  it('draws full-jitter delays under an exponentially growing, capped ceiling', () => {
    const policy = { baseMs: 100, capMs: 1000 };
    expect(backoffDelayMs(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, policy, () => 0.999)).toBe(399);
    expect(backoffDelayMs(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelayMs(50, policy, () => 0)).toBe(0);
  });
});

describe('delivery lock', () => {
  it('lets one holder deliver, names it to the others, and hands over when it releases', async () => {
    const lockPath = join(dir, 'lock.sqlite');
    const ownerPath = join(dir, 'owner.json');
    const first = new DeliveryLock(lockPath, ownerPath);
    const second = new DeliveryLock(lockPath, ownerPath);
    expect(await first.tryAcquire()).toBe(true);
    expect(await second.tryAcquire()).toBe(false);
    expect(second.owner()).toBe(process.pid);
    first.close();
    expect(existsSync(ownerPath)).toBe(false);
    expect(second.owner()).toBeUndefined();
    expect(await second.tryAcquire()).toBe(true);
    second.close();
  });

  it('refuses a lock file that something else wrote, naming it', async () => {
    const lockPath = join(dir, 'lock.sqlite');
    await writeFile(lockPath, '12345');
    const lock = new DeliveryLock(lockPath, join(dir, 'owner.json'));
    await expect(lock.tryAcquire()).rejects.toThrow(
      `cannot use the lock file ${lockPath}: file is not a database; it is not one Outpost created`,
    );
    lock.close();
  });
});

describe('at rest (issue #17)', () => {
  it('backs off checking the database when nothing happens, and still delivers what another process enqueues', async () => {
    await agent.close();
    agent = await Agent.open({
      dataDir: dir,
      logToFile: false,
      modules: [ackModule({ window: 1, delivered })],
      queue: { pollMs: 20, idlePollMs: 60_000, freeSpace: async () => free, lockRetryMs: 50 },
    });
    let checks = 0;
    const store = (agent.context.queue as unknown as { store: { dataVersion(): number } }).store;
    const dataVersion = store.dataVersion.bind(store);
    store.dataVersion = () => {
      checks += 1;
      return dataVersion();
    };
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      await sleep(1_500);
      // 20, 40, 80… ms: about 7 checks in 1.5 s (75 with the old fixed 20 ms poll).
      expect(checks).toBeGreaterThan(2);
      expect(checks).toBeLessThan(12);
      // Another process: its own agent on the same data dir enqueues; it never runs the queue.
      const other = await openAgent();
      try {
        await other.api.enqueueValue({ targets: ['a'], value: value(7) });
      } finally {
        await other.close();
      }
      await eventually(() => delivered.length === 1, { timeout: 10_000, interval: 20 });
    } finally {
      stop.abort();
      await running;
    }
  });
});
