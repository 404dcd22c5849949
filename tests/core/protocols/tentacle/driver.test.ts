/**
 * The queue's side of Tentacle: the TargetDriver delivering spooled files to
 * the reference server (retry after the server dies mid-transfer), and outbox
 * folders feeding the queue.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import { tentacleModule } from '../../../../main/core/protocols/tentacle/index.ts';
import {
  Outbox,
  OUTBOX_JOURNAL,
  runOutboxes,
} from '../../../../main/core/protocols/tentacle/outbox.ts';
import type { QueueService } from '../../../../main/core/queue/model.ts';
import type { EnqueueRequest, QueueItem } from '../../../../main/core/contract/queue-items.ts';
import type { TargetDriver } from '../../../../main/core/targets/driver.ts';
import { harness, type Harness } from './fixtures.ts';

let h: Harness;
const agents: Agent[] = [];

beforeAll(async () => {
  h = await harness('tentacle-driver');
});
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
});
afterAll(async () => h.cleanup());

async function openAgent(name: string): Promise<Agent> {
  const agent = await Agent.open({
    dataDir: join(h.dir, name),
    modules: [tentacleModule],
    logToFile: false,
  });
  agents.push(agent);
  return agent;
}

function fileItem(
  id: string,
  target: string,
  path: string,
  fileName: string,
  size: number,
): QueueItem {
  return {
    id,
    target,
    payload: { kind: 'file', file: { fileName, size, sha256: '', path } },
    state: 'sending',
    createdAt: Date.now(),
    attempts: 0,
    nextAttemptAt: 0,
    lastError: undefined,
    bytesTotal: size,
    bytesSent: 0,
    deliveredAt: undefined,
  };
}

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('TargetDriver', () => {
  it('declares kind, accepted items and window 1, and validates file names at enqueue', async () => {
    const agent = await openAgent('declare');
    const driver = agent.context.targets.driver('tentacle') as TargetDriver<unknown>;
    expect(driver.accepts).toEqual(['file']);
    expect(driver.window).toBe(1);
    const record = {
      name: 't',
      kind: 'tentacle' as const,
      createdAt: '',
      paused: false,
      config: { host: 'h' },
    };
    expect(() =>
      driver.validate!(record, {
        payload: { kind: 'file', file: { fileName: 'bad:name', size: 1, sha256: '', path: '/x' } },
      }),
    ).toThrow(/cannot be sent/);
    expect(() =>
      driver.validate!(record, {
        payload: { kind: 'value', value: { valueId: 'v', value: 1, timestamp: 0 } },
      }),
    ).toThrow(/files only/);
    driver.validate!(record, {
      payload: {
        kind: 'file',
        file: { fileName: 'agent.1732288000.data', size: 1, sha256: '', path: '/x' },
      },
    });
  });

  it('a server killed mid-transfer fails the delivery as transient; the retry stores exactly one complete file', async () => {
    const server = await h.start({ maxSize: 100_000_000 });
    const port = server.port;
    const agent = await openAgent('kill');
    await agent.api.addTentacleTarget({ name: 'pandora', connection: { host: '127.0.0.1', port } });
    const data = randomBytes(24 * 1024 * 1024);
    const path = join(h.dir, 'big.data');
    await writeFile(path, data);
    const driver = agent.context.targets.driver('tentacle');
    const target = agent.context.targets.get('pandora');
    let killed = false;
    server.onUploadProgress = (_name, bytes) => {
      if (!killed && bytes > 4 * 1024 * 1024) {
        killed = true;
        void server.kill();
      }
    };
    const progress: number[] = [];
    const first = await driver
      .deliver(target, fileItem('1', 'pandora', path, 'agent.1.data', data.length), {
        signal: new AbortController().signal,
        progress: (b) => progress.push(b),
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(first).toBeInstanceOf(AgentError);
    expect((first as AgentError).transient).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(driver.status!(target).state).toBe('retrying');
    expect(await readdir(server.options.dir)).toEqual([]);

    // While it is down: still transient (connection refused).
    const down = await driver
      .deliver(target, fileItem('1', 'pandora', path, 'agent.1.data', data.length), {
        signal: new AbortController().signal,
        progress: () => undefined,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect((down as AgentError).code).toBe('unreachable');
    expect((down as AgentError).transient).toBe(true);

    await server.listen(port);
    progress.length = 0;
    await driver.deliver(target, fileItem('1', 'pandora', path, 'agent.1.data', data.length), {
      signal: new AbortController().signal,
      progress: (b) => progress.push(b),
    });
    expect(progress.at(-1)).toBe(data.length);
    expect(await readdir(server.options.dir)).toEqual(['agent.1.data']);
    expect(sha(await readFile(join(server.options.dir, 'agent.1.data')))).toBe(sha(data));
    expect(driver.status!(target).state).toBe('idle');
    expect(
      await readdir(h.dir).then((names) => names.filter((n) => n.startsWith('.tentacle-ref-'))),
    ).toEqual([]);
  }, 60_000);

  it('maps refusals to permanent failures: wrong password, file exists, certificate problems', async () => {
    const server = await h.start({ password: 's3cret' });
    await writeFile(join(server.options.dir, 'exists.data'), 'x');
    const agent = await openAgent('permanent');
    await agent.api.addTentacleTarget({
      name: 'bad',
      connection: { host: '127.0.0.1', port: server.port, allowPlainPassword: true },
      password: 'wrong',
    });
    await agent.api.addTentacleTarget({
      name: 'good',
      connection: { host: '127.0.0.1', port: server.port, allowPlainPassword: true },
      password: 's3cret',
    });
    await agent.api.addTentacleTarget({
      name: 'tls',
      connection: { host: '127.0.0.1', port: server.port, tls: true },
    });
    const path = join(h.dir, 'small.data');
    await writeFile(path, 'small');
    const driver = agent.context.targets.driver('tentacle');
    const attempt = async (target: string, fileName: string): Promise<AgentError> =>
      driver
        .deliver(agent.context.targets.get(target), fileItem('x', target, path, fileName, 5), {
          signal: new AbortController().signal,
          progress: () => undefined,
        })
        .then(
          () => {
            throw new Error('expected a failure');
          },
          (error: unknown) => error as AgentError,
        );
    const wrong = await attempt('bad', 'a.data');
    expect([wrong.code, wrong.transient]).toEqual(['unauthorized', false]);
    const exists = await attempt('good', 'exists.data');
    expect([exists.code, exists.transient]).toEqual(['refused', false]);
    const tls = await attempt('tls', 'a.data');
    expect(tls.transient).toBe(false);
    expect(driver.status!(agent.context.targets.get('bad')).state).toBe('failed');
    expect(
      (await agent.api.listTargets({})).find((t) => t.name === 'bad')?.status.lastError,
    ).toMatch(/password/);
  });

  it('delivers from the saved local address (-b) and gives up after the saved idle timeout (-t/-r)', async () => {
    const server = await h.start();
    const agent = await openAgent('bind-idle');
    await agent.api.addTentacleTarget({
      name: 'bound',
      connection: {
        host: '127.0.0.1',
        port: server.port,
        bindAddress: '127.0.0.2',
        idleTimeoutSeconds: 1,
      },
    });
    const path = join(h.dir, 'bound.data');
    await writeFile(path, 'bound');
    const driver = agent.context.targets.driver('tentacle');
    const target = agent.context.targets.get('bound');
    const deliver = (fileName: string): Promise<unknown> =>
      driver
        .deliver(target, fileItem(fileName, 'bound', path, fileName, 5), {
          signal: new AbortController().signal,
          progress: () => undefined,
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
    expect(await deliver('a.data')).toBeUndefined();
    expect(server.connections.map((c) => c.remoteAddress)).toEqual(['127.0.0.2']);
    server.stalled = true;
    const hung = (await deliver('b.data')) as AgentError;
    expect([hung.code, hung.transient]).toEqual(['timeout', true]);
    expect(hung.message).toMatch(/stopped answering for 1 s while we waited for the reply to SEND/);
    const invalid = await agent
      .call('addTentacleTarget', {
        name: 'badbind',
        connection: { host: 'h', bindAddress: 'eth0' },
      })
      .then(
        () => undefined,
        (e: unknown) => e as AgentError,
      );
    expect(invalid?.field).toBe('connection.bindAddress');
    expect(invalid?.message).toMatch(/bindAddress \(-b\) 'eth0' must be an IPv4 or IPv6 address/);
  });

  it('keeps secrets out of settings and in the SecretStore', async () => {
    const agent = await openAgent('secrets');
    const info = await agent.api.addTentacleTarget({
      name: 'sec',
      connection: {
        host: 'pandora.example',
        tls: true,
        insecure: true,
        proxy: { host: 'proxy', port: 3128, user: 'agent' },
      },
      password: 'pw-secret-1',
      proxyPassword: 'proxy-secret-2',
    });
    expect(info.secrets).toEqual({ password: true, keyPassphrase: false, proxyPassword: true });
    expect(info.warnings.map((w) => w.code)).toContain('insecure-tls');
    const settings = await readFile(join(h.dir, 'secrets', 'settings.json'), 'utf8');
    expect(settings).not.toMatch(/secret-/);
    expect(await agent.context.secrets.get('target/sec/password')).toBe('pw-secret-1');
    const plain = await agent
      .call('addTentacleTarget', { name: 'plainpw', connection: { host: 'h' }, password: 'x' })
      .then(
        () => undefined,
        (e: unknown) => e as AgentError,
      );
    expect(plain?.field).toBe('password');
    const status = (await agent.api.listTargets({})).find((t) => t.name === 'sec')?.status;
    expect(status?.detail).toMatch(/NOT verified/);
  });
});

/** A minimal in-memory QueueService for the outbox tests: records enqueues, the test marks items delivered. */
class MemoryQueue implements QueueService {
  readonly items = new Map<string, QueueItem>();
  readonly enqueued: EnqueueRequest[] = [];

  async enqueue(request: EnqueueRequest): Promise<QueueItem[]> {
    this.enqueued.push(request);
    if (request.kind !== 'file') throw new Error('files only here');
    return request.targets.map((target) => {
      const item = fileItem(
        `item-${this.items.size + 1}`,
        target,
        request.filePath,
        request.fileName ?? '',
        0,
      );
      item.state = 'queued';
      this.items.set(item.id, item);
      return item;
    });
  }

  get(id: string): QueueItem | undefined {
    return this.items.get(id);
  }
}

describe('outbox folder', () => {
  async function setup(name: string, afterDelivery: 'move' | 'remove') {
    const server = await h.start();
    const agent = await openAgent(name);
    const queue = new MemoryQueue();
    agent.context.queue = queue;
    const dir = join(h.dir, `${name}-outbox`);
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: server.port },
      outbox: { dir, afterDelivery },
    });
    /** Delivers every queued item through the real driver, as the scheduler would. */
    const deliverAll = async (): Promise<void> => {
      const driver = agent.context.targets.driver('tentacle');
      for (const item of queue.items.values()) {
        if (item.state !== 'queued') continue;
        await driver.deliver(agent.context.targets.get(item.target), item, {
          signal: new AbortController().signal,
          progress: () => undefined,
        });
        item.state = 'delivered';
      }
    };
    return { server, agent, queue, dir, deliverAll };
  }

  it('queues a file once it stops growing, skips dot files and bad names, and moves it to sent/ after delivery', async () => {
    const { server, agent, queue, dir, deliverAll } = await setup('outbox-move', 'move');
    const events: string[] = [];
    agent.events.on('tentacle.outbox', (e) => events.push(`${e.action}:${e.file}`));
    const outbox = new Outbox(agent.context, 'pandora', { dir, afterDelivery: 'move' }, 0);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'agent.1.data'), '<agent_data/>');
    await writeFile(join(dir, '.agent.2.data.tmp'), 'being written');
    await writeFile(join(dir, 'bad=name.data'), 'x');
    await writeFile(join(dir, 'growing.data'), 'part 1');
    await outbox.scan();
    expect(queue.enqueued).toHaveLength(0);
    await appendFile(join(dir, 'growing.data'), ' part 2');
    await outbox.scan();
    expect(queue.enqueued.map((r) => (r.kind === 'file' ? r.fileName : ''))).toEqual([
      'agent.1.data',
    ]);
    await outbox.scan();
    expect(queue.enqueued.map((r) => (r.kind === 'file' ? r.fileName : '')).sort()).toEqual([
      'agent.1.data',
      'growing.data',
    ]);
    expect(events).toContain('rejected:bad=name.data');
    await outbox.scan();
    expect(queue.enqueued).toHaveLength(2);

    await deliverAll();
    await outbox.scan();
    expect((await readdir(dir)).sort()).toEqual([
      '.agent.2.data.tmp',
      OUTBOX_JOURNAL,
      'bad=name.data',
      'sent',
    ]);
    expect((await readdir(join(dir, 'sent'))).sort()).toEqual(['agent.1.data', 'growing.data']);
    expect(await readFile(join(server.options.dir, 'growing.data'), 'utf8')).toBe('part 1 part 2');
    expect(events).toContain('delivered:agent.1.data');
  });

  it('loses nothing and queues nothing twice across an agent restart; removes after delivery when asked', async () => {
    const { server, agent, queue, dir, deliverAll } = await setup('outbox-remove', 'remove');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'agent.7.data'), 'seven');
    const before = new Outbox(agent.context, 'pandora', { dir, afterDelivery: 'remove' }, 0);
    await before.scan();
    await before.scan();
    expect(queue.enqueued).toHaveLength(1);
    // The agent stops here; a new process scans the same folder with the same queue.
    const after = new Outbox(agent.context, 'pandora', { dir, afterDelivery: 'remove' }, 0);
    await after.scan();
    await after.scan();
    expect(queue.enqueued).toHaveLength(1);
    expect(await readdir(dir)).toContain('agent.7.data');
    await deliverAll();
    await after.scan();
    expect(await readdir(dir)).toEqual([OUTBOX_JOURNAL]);
    expect(await readFile(join(server.options.dir, 'agent.7.data'), 'utf8')).toBe('seven');
  });

  it('queues a file whose mtime is ahead of our clock once we have seen it at rest (CI flake of 05e15c5)', async () => {
    const { queue, agent, dir } = await setup('outbox-future', 'move');
    await mkdir(dir, { recursive: true });
    // An hour ahead, as after `cp -p` from a host whose clock runs fast; the
    // same holds for a file written in the current millisecond, whose mtime
    // has a fraction that Date.now() lacks.
    const ahead = (Date.now() + 3_600_000) / 1000;
    for (const name of ['ahead.data', 'now.data']) {
      await writeFile(join(dir, name), name);
      await utimes(join(dir, name), ahead, ahead);
    }
    const atOnce = new Outbox(agent.context, 'pandora', { dir, afterDelivery: 'move' }, 0);
    await atOnce.scan();
    expect(queue.enqueued).toHaveLength(0);
    await atOnce.scan();
    expect(queue.enqueued).toHaveLength(2);

    await writeFile(join(dir, 'later.data'), 'later');
    await utimes(join(dir, 'later.data'), ahead, ahead);
    const patient = new Outbox(agent.context, 'pandora', { dir, afterDelivery: 'move' }, 50);
    await patient.scan();
    await new Promise((r) => setTimeout(r, 80));
    await patient.scan();
    expect(queue.enqueued.map((r) => (r.kind === 'file' ? r.fileName : '')).sort()).toEqual([
      'ahead.data',
      'later.data',
      'now.data',
    ]);
  });

  it('queues files named like Object.prototype members once each, across a restart', async () => {
    const { queue, agent, dir } = await setup('outbox-inherited', 'move');
    const names = ['__proto__', 'constructor', 'toString'];
    await mkdir(dir, { recursive: true });
    for (const name of names) await writeFile(join(dir, name), name);
    const before = new Outbox(agent.context, 'pandora', { dir, afterDelivery: 'move' }, 0);
    await before.scan();
    await before.scan();
    await before.scan();
    const after = new Outbox(agent.context, 'pandora', { dir, afterDelivery: 'move' }, 0);
    await after.scan();
    await after.scan();
    expect(queue.enqueued.map((r) => (r.kind === 'file' ? r.fileName : '')).sort()).toEqual(
      names.toSorted(),
    );
    expect(
      Object.keys(JSON.parse(await readFile(join(dir, OUTBOX_JOURNAL), 'utf8'))).sort(),
    ).toEqual(names.toSorted());
  });

  it('leaves no listener on the stop signal per turn: an agent at rest does not grow (issue #17)', async () => {
    const { agent, dir } = await setup('outbox-listeners', 'move');
    await mkdir(dir, { recursive: true });
    const stop = new AbortController();
    const running = runOutboxes(agent.context, stop.signal, 1, 0);
    await new Promise((r) => setTimeout(r, 300));
    // Hundreds of turns have run by now; at most the current one's listener is there.
    expect(getEventListeners(stop.signal, 'abort').length).toBeLessThanOrEqual(1);
    stop.abort();
    await running;
  });

  it('runs from the module loop until stopped', async () => {
    const { agent, queue, dir } = await setup('outbox-run', 'move');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'agent.9.data'), 'nine');
    const stop = new AbortController();
    const running = runOutboxes(agent.context, stop.signal, 20, 0);
    for (let i = 0; i < 100 && queue.enqueued.length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await running;
    expect(queue.enqueued).toHaveLength(1);
  });
});
