/**
 * End to end through the real Agent and its durable queue: a file queued to a
 * Tentacle target survives the server dying mid-transfer and ends on the
 * server exactly once; an outbox folder feeds the same path.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import { tentacleModule } from '../../../../main/core/protocols/tentacle/index.ts';
import { harness, type Harness } from './fixtures.ts';
import { eventually } from '../../../poll.ts';

let h: Harness;

beforeAll(async () => {
  h = await harness('tentacle-e2e');
});
afterAll(async () => h.cleanup());

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('Agent + queue + Tentacle', () => {
  it('retries a delivery the server dropped mid-transfer; the server ends with exactly one complete file', async () => {
    const server = await h.start({ maxSize: 100_000_000 });
    const port = server.port;
    const agent = await Agent.open({
      dataDir: join(h.dir, 'agent1'),
      modules: [tentacleModule],
      logToFile: false,
    });
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      await agent.api.addTentacleTarget({
        name: 'pandora',
        connection: { host: '127.0.0.1', port },
      });
      const data = randomBytes(16 * 1024 * 1024);
      const path = join(h.dir, 'agent.1732288000.data');
      await writeFile(path, data);
      let killed = false;
      server.onUploadProgress = (_name, bytes) => {
        if (!killed && bytes > 4 * 1024 * 1024) {
          killed = true;
          void server.kill().then(() => setTimeout(() => void server.listen(port), 300));
        }
      };
      const { items } = await agent.api.enqueueFile({ targets: ['pandora'], path });
      const id = items[0]!.id;
      running = agent.run(stop.signal);
      await eventually(async () => (await agent.api.getQueueItem({ id })).state === 'delivered', {
        timeout: 30_000,
        what: 'the item to be delivered',
      });
      const item = await agent.api.getQueueItem({ id });
      expect(killed).toBe(true);
      expect(item.attempts).toBeGreaterThanOrEqual(2);
      expect(await readdir(server.options.dir)).toEqual(['agent.1732288000.data']);
      expect(sha(await readFile(join(server.options.dir, 'agent.1732288000.data')))).toBe(
        sha(data),
      );
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 60_000);

  it('keeps a permanently refused item as failed and visible, with the reason', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'dup.data'), 'already there');
    const agent = await Agent.open({
      dataDir: join(h.dir, 'agent2'),
      modules: [tentacleModule],
      logToFile: false,
    });
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      await agent.api.addTentacleTarget({
        name: 'pandora',
        connection: { host: '127.0.0.1', port: server.port },
      });
      const path = join(h.dir, 'dup.data');
      await writeFile(path, 'new');
      const { items } = await agent.api.enqueueFile({ targets: ['pandora'], path });
      running = agent.run(stop.signal);
      await eventually(
        async () => (await agent.api.getQueueItem({ id: items[0]!.id })).state === 'failed',
        { timeout: 30_000, what: 'the item to fail' },
      );
      expect((await agent.api.getQueueItem({ id: items[0]!.id })).lastError).toMatch(
        /already exists/,
      );
      await expect(
        agent.api.enqueueFile({ targets: ['pandora'], path, name: 'bad:name' }),
      ).rejects.toThrow(/cannot be sent/);
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 30_000);

  it('an outbox file goes through the queue to the server and then into sent/', async () => {
    const server = await h.start();
    const agent = await Agent.open({
      dataDir: join(h.dir, 'agent3'),
      modules: [tentacleModule],
      logToFile: false,
    });
    const outbox = join(h.dir, 'outbox3');
    await mkdir(outbox, { recursive: true });
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      await agent.api.addTentacleTarget({
        name: 'pandora',
        connection: { host: '127.0.0.1', port: server.port },
        outbox: { dir: outbox, afterDelivery: 'move' },
      });
      await writeFile(join(outbox, 'agent.42.data'), '<agent_data/>');
      running = agent.run(stop.signal);
      await eventually(
        async () =>
          (await readdir(join(outbox, 'sent')).catch((): string[] => [])).includes('agent.42.data'),
        { timeout: 30_000, what: 'the file to reach sent/' },
      );
      expect(await readFile(join(server.options.dir, 'agent.42.data'), 'utf8')).toBe(
        '<agent_data/>',
      );
      expect((await readdir(outbox)).filter((n) => !n.startsWith('.'))).toEqual(['sent']);
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 30_000);
});
