import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueStore } from '../../../main/core/queue/store.ts';
import { AckServer } from '../../peers/ack-server.ts';
import { makeTempDir, sleep } from '../../peers/util.ts';

const CHILD = join(import.meta.dirname, 'crash-child.ts');

interface ChildRun {
  acked: string[];
  /** Resolves once the agent is open and delivering: kills are timed from there. */
  ready: Promise<void>;
  exit: Promise<void>;
  kill(): void;
}

function startChild(dataDir: string, port: number, from: number, count: number): ChildRun {
  const child = spawn(
    process.execPath,
    [CHILD, dataDir, String(port), String(from), String(count)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const acked: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('ACK ')) acked.push(line.slice(4));
      else if (line === 'READY') markReady();
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<void>((resolve, reject) =>
    child.once('exit', (code, signal) => {
      if (code === 0 || signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited ${code ?? signal}: ${stderr}`));
    }),
  );
  void exit.finally(markReady);
  return { acked, ready, exit, kill: () => child.kill('SIGKILL') };
}

describe('crash safety with real processes', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let server: AckServer;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('crash'));
    server = await AckServer.start();
  });
  afterAll(async () => {
    await server.stop();
    await cleanup();
  });

  it('loses no acknowledged item across repeated SIGKILLs while enqueueing and delivering', async () => {
    const acked: string[] = [];
    const rounds = 16;
    const perRound = 5000;
    let next = 0;
    for (let round = 0; round < rounds; round++) {
      const run = startChild(dir, server.port, next, perRound);
      next += perRound;
      // Kill at a random moment: now and then during start-up (recovery of the
      // last kill's in-flight items), mostly amid enqueue bursts and deliveries.
      if (round % 4 !== 0) await run.ready;
      await sleep(100 + Math.floor(Math.random() * 1400));
      run.kill();
      await run.exit;
      acked.push(...run.acked);
    }
    const drain = startChild(dir, server.port, next, 0);
    await drain.exit;
    acked.push(...drain.acked);

    // Thousands of acknowledged items, or the kills did not land amid real work.
    expect(acked.length).toBeGreaterThan(1500);
    const store = new QueueStore(join(dir, 'queue.sqlite'));
    try {
      // Every acknowledged item is in the store exactly once, and delivered.
      for (const id of acked) expect(store.get(id)?.state, id).toBe('delivered');
      expect(new Set(acked).size).toBe(acked.length);
      // The server got every acknowledged item; anything else it got was committed
      // but killed before its ACK line was printed, and is in the store too.
      const received = new Set(server.received);
      for (const id of acked) expect(received.has(id), id).toBe(true);
      for (const id of received) expect(store.get(id), id).toBeDefined();
      const duplicates = server.received.length - received.size;
      // Duplicates come only from items in flight when a process died (window 4 per kill).
      expect(duplicates).toBeLessThanOrEqual(rounds * 4);
      console.log(
        `crash test: ${acked.length} acknowledged, ${server.received.length} received, ${duplicates} re-sent after kills`,
      );
    } finally {
      store.close();
    }
  }, 180_000);
});
