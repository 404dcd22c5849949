/**
 * A Tentacle target with a secondary server (pandora-remote-config.md §11–§14),
 * through the real Agent and its durable queue, against two reference servers
 * over loopback: `on_error` falls back per file, `always` gives each server
 * its own queue items, and each server gets only its own password (§14.5).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import type { QueueItem } from '../../../../main/core/contract/queue-items.ts';
import { passwordDigest } from '../../../../main/core/protocols/tentacle/codec.ts';
import { tentacleModule } from '../../../../main/core/protocols/tentacle/index.ts';
import type { TargetDriver } from '../../../../main/core/targets/driver.ts';
import type { TentacleServer } from '../../../peers/tentacle-server.ts';
import { eventually } from '../../../poll.ts';
import { readDataFile } from '../pandora/data-rules.ts';
import { harness, type Harness } from './fixtures.ts';

let h: Harness;
const running: Array<{ agent: Agent; stop: AbortController; run: Promise<void> }> = [];

beforeAll(async () => {
  h = await harness('tentacle-secondary');
});
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    await r.run;
    await r.agent.close();
  }
});
afterAll(async () => h.cleanup());

/** An agent whose queue retries within a fraction of a second (the backoff is not under test). */
async function openAgent(name: string, withChecks = false): Promise<Agent> {
  const agent = await Agent.open({
    dataDir: join(h.dir, name),
    // All modules (lazily loaded) where local checks are needed.
    ...(withChecks ? {} : { modules: [tentacleModule] }),
    logToFile: false,
    queue: { pollMs: 20 },
  });
  agent.context.settings.update((d) => {
    (d as Record<string, unknown>).queue = { backoff: { baseMs: 50, capMs: 300 } };
  });
  return agent;
}

function start(agent: Agent): void {
  const stop = new AbortController();
  running.push({ agent, stop, run: agent.run(stop.signal) });
}

/** A port nothing listens on any more: a server started and killed. */
async function downServer(): Promise<TentacleServer> {
  const server = await h.start();
  await server.kill();
  return server;
}

async function queueFile(agent: Agent, name: string, content: string): Promise<QueueItem[]> {
  const dir = join(h.dir, 'files');
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, content);
  return (await agent.api.enqueueFile({ targets: ['pandora'], path })).items;
}

const stateOf = async (agent: Agent, item: QueueItem): Promise<string> =>
  (await agent.api.getQueueItem({ id: item.id })).state;

const files = async (server: TentacleServer): Promise<string[]> =>
  (await readdir(server.options.dir)).sort();

const clientBytes = (server: TentacleServer): string =>
  server.connections.map((c) => c.clientBytes().toString('latin1')).join('');

describe('secondary server, on_error', () => {
  it('sends the data file to the secondary when the primary is down; one item, delivered', async () => {
    const primary = await downServer();
    const secondary = await h.start();
    const agent = await openAgent('on-error');
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: primary.port },
      secondary: { host: '127.0.0.1', port: secondary.port, mode: 'on_error' },
    });
    const items = await queueFile(agent, 'agent.1700000001.data', '<agent_data/>');
    expect(items.map((i) => i.target)).toEqual(['pandora']);
    start(agent);
    await eventually(async () => (await stateOf(agent, items[0]!)) === 'delivered', {
      what: 'the item to be delivered through the secondary',
    });
    expect(await readFile(join(secondary.options.dir, 'agent.1700000001.data'), 'utf8')).toBe(
      '<agent_data/>',
    );
    expect(await files(primary)).toEqual([]);
    const [target] = await agent.api.listTargets({});
    expect(target!.status.detail).toMatch(
      new RegExp(
        `^primary 127\\.0\\.0\\.1:${primary.port}: retrying \\(.+\\); secondary 127\\.0\\.0\\.1:${secondary.port} \\(on_error\\): idle$`,
      ),
    );
  });

  it('after the primary failed a file, the next ones go straight to the secondary (§14.2)', async () => {
    // A primary that refuses us (it wants a password we do not have) and records each attempt.
    const primary = await h.start({ password: 'not-ours' });
    const secondary = await h.start();
    const agent = await openAgent('on-error-breaker');
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: primary.port },
      secondary: { host: '127.0.0.1', port: secondary.port, mode: 'on_error' },
    });
    const items = [
      ...(await queueFile(agent, 'agent.1700000010.data', 'a')),
      ...(await queueFile(agent, 'agent.1700000011.data', 'b')),
      ...(await queueFile(agent, 'agent.1700000012.data', 'c')),
    ];
    start(agent);
    for (const item of items)
      await eventually(async () => (await stateOf(agent, item)) === 'delivered');
    expect(await files(secondary)).toEqual([
      'agent.1700000010.data',
      'agent.1700000011.data',
      'agent.1700000012.data',
    ]);
    expect(primary.connections).toHaveLength(1);
  });

  it('leaves the secondary alone while the primary takes the files', async () => {
    const primary = await h.start();
    const secondary = await h.start();
    const agent = await openAgent('on-error-primary-up');
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: primary.port },
      secondary: { host: '127.0.0.1', port: secondary.port, mode: 'on_error' },
    });
    const items = await queueFile(agent, 'agent.1700000002.data', 'x');
    start(agent);
    await eventually(async () => (await stateOf(agent, items[0]!)) === 'delivered');
    expect(await files(primary)).toEqual(['agent.1700000002.data']);
    expect(secondary.connections).toEqual([]);
  });

  it('keeps the item queued while both are down, and delivers it once the secondary is up', async () => {
    const primary = await downServer();
    const secondary = await downServer();
    const agent = await openAgent('on-error-both-down');
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: primary.port },
      secondary: { host: '127.0.0.1', port: secondary.port, mode: 'on_error' },
    });
    const items = await queueFile(agent, 'agent.1700000003.data', 'y');
    start(agent);
    const failing = await eventually(async () => {
      const item = await agent.api.getQueueItem({ id: items[0]!.id });
      return item.attempts >= 2 && item.state === 'queued' ? item : undefined;
    });
    expect(failing.lastError).toMatch(
      new RegExp(
        `^primary 127\\.0\\.0\\.1:${primary.port}.*; secondary 127\\.0\\.0\\.1:${secondary.port}: `,
      ),
    );
    await secondary.listen(secondary.port);
    await eventually(async () => (await stateOf(agent, items[0]!)) === 'delivered');
    expect(await files(secondary)).toEqual(['agent.1700000003.data']);
  });
});

describe('secondary server, local checks', () => {
  it("a local check's data file reaches the secondary when the primary is down (on_error)", async () => {
    const primary = await downServer();
    const secondary = await h.start();
    const agent = await openAgent('check-on-error', true);
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: primary.port },
      secondary: { host: '127.0.0.1', port: secondary.port, mode: 'on_error' },
    });
    await agent.api.addCheck({
      name: 'disk',
      command: { argv: ['/usr/lib/nagios/plugins/check_dummy', '0', 'fine | used=42%;80;90'] },
      interval: 2,
      timeout: 10,
      targets: [{ target: 'pandora', agentName: 'ws-0042', moduleName: 'Disk' }],
    });
    start(agent);
    const name = await eventually(
      async () => (await files(secondary)).find((n) => n.endsWith('.data')),
      { timeout: 30_000, what: 'a data file on the secondary server' },
    );
    const read = readDataFile(name, await readFile(join(secondary.options.dir, name)));
    expect(read.agent.agent_name).toBe('ws-0042');
    expect(read.modules.map((m) => [m.name, m.data])).toEqual([
      ['Disk', '1'],
      ['Disk used', '42'],
    ]);
    expect(await files(primary)).toEqual([]);
  });
});

describe('secondary server, always', () => {
  it('gives each server the file with its own item and its own password only', async () => {
    const primary = await h.start({ password: 'primary-pass' });
    const secondary = await h.start({ password: 'secondary-pass' });
    const agent = await openAgent('always');
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: primary.port, allowPlainPassword: true },
      password: 'primary-pass',
      secondary: {
        host: '127.0.0.1',
        port: secondary.port,
        allowPlainPassword: true,
        mode: 'always',
      },
      secondaryPassword: 'secondary-pass',
    });
    const items = await queueFile(agent, 'agent.1700000004.data', '<both/>');
    expect(items.map((i) => i.target)).toEqual(['pandora', 'pandora/secondary']);
    // The target's queue shows both; retrying the target's failed items covers both too.
    expect((await agent.api.listQueue({ target: 'pandora' })).map((i) => i.id).sort()).toEqual(
      items.map((i) => i.id).sort(),
    );
    start(agent);
    for (const item of items)
      await eventually(async () => (await stateOf(agent, item)) === 'delivered');
    for (const server of [primary, secondary])
      expect(await readFile(join(server.options.dir, 'agent.1700000004.data'), 'utf8')).toBe(
        '<both/>',
      );
    // Server side: each saw its own PASS line, and the secondary never the primary's digest.
    expect(clientBytes(primary)).toContain(`PASS ${passwordDigest('primary-pass')}\n`);
    expect(clientBytes(secondary)).toContain(`PASS ${passwordDigest('secondary-pass')}\n`);
    expect(clientBytes(secondary)).not.toContain(passwordDigest('primary-pass'));
    expect(clientBytes(primary)).not.toContain(passwordDigest('secondary-pass'));
  });

  it('a secondary that is down holds back only its own items; they go out once it is up', async () => {
    const primary = await h.start();
    const secondary = await downServer();
    const agent = await openAgent('always-secondary-down');
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: primary.port },
      secondary: { host: '127.0.0.1', port: secondary.port, mode: 'always' },
    });
    const first = await queueFile(agent, 'agent.1700000005.data', 'one');
    const second = await queueFile(agent, 'agent.1700000006.data', 'two');
    start(agent);
    await eventually(async () => (await stateOf(agent, second[0]!)) === 'delivered', {
      what: "the primary's second item",
    });
    expect(await files(primary)).toEqual(['agent.1700000005.data', 'agent.1700000006.data']);
    const waiting = await agent.api.getQueueItem({ id: first[1]!.id });
    expect(waiting.target).toBe('pandora/secondary');
    expect(waiting.state).not.toBe('delivered');
    await eventually(
      async () => (await agent.api.getQueueItem({ id: first[1]!.id })).attempts >= 2,
    );
    expect(await stateOf(agent, second[1]!)).toBe('queued');

    await secondary.listen(secondary.port);
    for (const item of [first[1]!, second[1]!])
      await eventually(async () => (await stateOf(agent, item)) === 'delivered');
    expect(await files(secondary)).toEqual(['agent.1700000005.data', 'agent.1700000006.data']);
  });

  it('a primary that is down holds back only its own items', async () => {
    const primary = await downServer();
    const secondary = await h.start();
    const agent = await openAgent('always-primary-down');
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: primary.port },
      secondary: { host: '127.0.0.1', port: secondary.port, mode: 'always' },
    });
    const first = await queueFile(agent, 'agent.1700000007.data', 'one');
    const second = await queueFile(agent, 'agent.1700000008.data', 'two');
    start(agent);
    await eventually(async () => (await stateOf(agent, second[1]!)) === 'delivered');
    expect(await files(secondary)).toEqual(['agent.1700000007.data', 'agent.1700000008.data']);
    await eventually(
      async () => (await agent.api.getQueueItem({ id: first[0]!.id })).attempts >= 2,
    );
    expect(await stateOf(agent, second[0]!)).toBe('queued');
    await primary.listen(primary.port);
    for (const item of [first[0]!, second[0]!])
      await eventually(async () => (await stateOf(agent, item)) === 'delivered');
    expect(await files(primary)).toEqual(['agent.1700000007.data', 'agent.1700000008.data']);
  });
});

describe('saving a secondary server', () => {
  it("blames the secondary's own fields", async () => {
    const agent = await openAgent('save-errors');
    await expect(
      agent.api.addTentacleTarget({
        name: 'pandora',
        connection: { host: '127.0.0.1' },
        secondary: {
          host: 'backup',
          tls: true,
          caFile: join(h.dir, 'missing.pem'),
          mode: 'always',
        },
      }),
    ).rejects.toMatchObject({
      code: 'invalid-request',
      field: 'secondary.caFile',
      message: expect.stringMatching(/^secondary server: caFile '.*missing\.pem' cannot be read/),
    });
    await expect(
      agent.api.addTentacleTarget({
        name: 'pandora',
        connection: { host: '127.0.0.1' },
        secondaryPassword: 'x',
      }),
    ).rejects.toMatchObject({ code: 'invalid-request', field: 'secondaryPassword' });
    await expect(
      agent.api.addTentacleTarget({
        name: 'pandora',
        connection: { host: '127.0.0.1' },
        secondary: { host: 'backup', mode: 'sometimes' as 'always' },
      }),
    ).rejects.toMatchObject({
      code: 'invalid-request',
      message: expect.stringContaining("secondary.mode must be 'on_error' or 'always'"),
    });
    expect(await agent.api.listTargets({})).toEqual([]);
  });
});

describe('resent files', () => {
  it('counts SEND ERR (file already exists) for a resent file as delivered, and refuses it for a new one', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'agent.1700000009.data'), 'stored by a lost OK');
    const agent = await openAgent('resent');
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: server.port },
    });
    const driver = agent.context.targets.driver('tentacle') as TargetDriver<unknown>;
    const target = agent.context.targets.get('pandora');
    const path = join(h.dir, 'resent.data');
    await writeFile(path, 'stored by a lost OK');
    const item = (attempts: number): QueueItem => ({
      id: `resent-${attempts}`,
      target: 'pandora',
      payload: {
        kind: 'file',
        file: { fileName: 'agent.1700000009.data', size: 19, sha256: '', path },
      },
      state: 'sending',
      createdAt: Date.now(),
      attempts,
      nextAttemptAt: 0,
      lastError: undefined,
      bytesTotal: 19,
      bytesSent: 0,
      deliveredAt: undefined,
    });
    const delivery = { signal: new AbortController().signal, progress: () => undefined };
    await expect(driver.deliver(target, item(1), delivery)).rejects.toThrow(/already exists/);
    await expect(driver.deliver(target, item(2), delivery)).resolves.toBeUndefined();
  });
});
