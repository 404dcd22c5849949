/**
 * Online, over real ZMQ sockets on 127.0.0.1, against the reference server
 * (tests/peers/gorgone-server.ts): handshake and pinning, rotation, session
 * loss, and the pull-node conversation of gorgone.md §8.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import {
  DEFAULT_COPY_IDLE_TIMEOUT_SECONDS,
  DEFAULT_MAX_FILE_BYTES,
} from '../../../../main/core/protocols/gorgone/config.ts';
import { gorgoneSettingsSchema } from '../../../../main/core/protocols/gorgone/config.ts';
import { GorgoneController } from '../../../../main/core/protocols/gorgone/controller.ts';
import { HistoryStore } from '../../../../main/core/protocols/gorgone/history.ts';
import { PullNode } from '../../../../main/core/protocols/gorgone/pull-node.ts';
import {
  DEFAULT_MAX_ARCHIVE_BYTES,
  DEFAULT_MAX_ARCHIVE_ENTRIES,
} from '../../../../main/core/protocols/gorgone/tar.ts';
import { GorgoneReferenceServer } from '../../../peers/gorgone-server.ts';
import { captureLog, nodeEnv, processCopyMessages, testKey, treeOf } from './helpers.ts';
import { eventually } from '../../../poll.ts';
import { makeTempDirSync } from '../../../peers/util.ts';

type Key = Awaited<ReturnType<typeof testKey>>;
let serverKey: Key;
let agentKey: Key;
let otherKey: Key;
const cleanups: Array<() => void | Promise<void>> = [];

beforeAll(async () => {
  [serverKey, agentKey, otherKey] = await Promise.all([testKey(), testKey(), testKey()]);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startServer(
  options: { authorized?: string[]; key?: Key; rotationSeconds?: number } = {},
): Promise<GorgoneReferenceServer> {
  const key = options.key ?? serverKey;
  const server = new GorgoneReferenceServer({
    privateKeyPem: key.privateKeyPem,
    publicKeyPem: key.publicKeyPem,
    authorized: options.authorized ?? [agentKey.thumbprint],
    ...(options.rotationSeconds === undefined
      ? {}
      : { rotationSeconds: options.rotationSeconds, rotationCheckMs: 50 }),
  });
  await server.start();
  cleanups.push(() => server.close());
  return server;
}

function clientKey(key: Key = agentKey) {
  return { privateKeyPem: key.privateKeyPem, publicKeyPem: key.publicKeyPem };
}

describe('handshake and pinning (§4)', () => {
  it('handshakes with the pinned key, gets PONG and the server thumbprint, and logs no key material', async () => {
    const server = await startServer();
    const { log, text } = captureLog();
    const controller = await GorgoneController.connect({
      endpoint: server.endpoint,
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      log,
    });
    cleanups.push(() => controller.close());
    expect(controller.session.identity).toMatch(/^gorgone-outpost-[0-9a-f]{24}$/);
    const pong = await controller.ping();
    expect(pong.id).toBe('1');
    expect(pong.hostname).toBe('gorgone-reference');
    expect(await controller.thumbprint()).toBe(serverKey.thumbprint);
    expect(server.log).toContain('Connection from gorgone-outpost');
    const session = [...server.sessions.values()][0]!;
    const logged = text();
    expect(logged).not.toContain(session.key.toString('hex'));
    expect(logged).not.toContain(session.iv.toString('hex'));
    expect(logged).not.toContain('PRIVATE KEY');
  });

  it('trust on first use: shows the thumbprint and pins what the person confirmed', async () => {
    const server = await startServer();
    const { log } = captureLog();
    const shown: string[] = [];
    const trust: { thumbprint?: string; onFirstUse(s: { thumbprint: string }): boolean } = {
      onFirstUse: (s) => {
        shown.push(s.thumbprint);
        return true;
      },
    };
    const controller = await GorgoneController.connect({
      endpoint: server.endpoint,
      clientKey: clientKey(),
      trust,
      log,
    });
    cleanups.push(() => controller.close());
    expect(shown).toEqual([serverKey.thumbprint]);
    expect(trust.thumbprint).toBe(serverKey.thumbprint);
  });

  it('refuses a client whose thumbprint is not authorized with the authorized_clients line to add', async () => {
    const server = await startServer({ authorized: [otherKey.thumbprint] });
    const { log } = captureLog();
    const error = await GorgoneController.connect({
      endpoint: server.endpoint,
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      log,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('unauthorized');
    expect((error as AgentError).message).toContain(
      `this agent's thumbprint is not in authorized_clients: add \`- key: ${agentKey.thumbprint}\``,
    );
    expect(server.log).toContain(
      `Client pubkey is not authorized. Thumbprint is '${agentKey.thumbprint}'`,
    );
  });

  it('refuses a changed server key loudly, before sending HELO', async () => {
    const server = await startServer({ key: otherKey });
    const { log, lines } = captureLog();
    const error = await GorgoneController.connect({
      endpoint: server.endpoint,
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      log,
    }).catch((e: unknown) => e);
    expect((error as AgentError).code).toBe('untrusted-peer');
    expect((error as AgentError).message).toContain('CHANGED');
    expect((error as AgentError).message).toContain(otherKey.thumbprint);
    expect(lines.some((l) => l.level === 'error' && l.message.includes('SERVER KEY CHANGED'))).toBe(
      true,
    );
    expect(server.log.some((l) => l.startsWith('Connection from'))).toBe(false);
  });

  it('refuses an agent key below 2048 bits before connecting', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { log } = captureLog();
    await expect(
      GorgoneController.connect({
        endpoint: 'tcp://127.0.0.1:1',
        clientKey: {
          privateKeyPem: small.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
          publicKeyPem: small.publicKey.export({ type: 'spki', format: 'pem' }) as string,
        },
        trust: { thumbprint: serverKey.thumbprint },
        log,
      }),
    ).rejects.toThrow(/at least 2048 bits/);
  });
});

describe('session life (§5)', () => {
  it('follows a key rotation ([KEY] under the old key) and keeps working', async () => {
    const server = await startServer({ rotationSeconds: 0.2 });
    const { log } = captureLog();
    const controller = await GorgoneController.connect({
      endpoint: server.endpoint,
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      log,
    });
    cleanups.push(() => controller.close());
    await eventually(() => controller.session.rotations >= 2 || undefined, {
      timeout: 5_000,
      interval: 25,
    });
    expect(server.log.filter((l) => l === 'rotated').length).toBeGreaterThanOrEqual(2);
    expect((await controller.ping()).id).toBe('1');
    expect(controller.session.handshakes).toBe(1);
  });

  it('detects a lost session (plaintext answer while encrypted), handshakes again and re-registers', async () => {
    const server = await startServer();
    const { dir, cleanup } = makeTempDirSync('gorgone');
    cleanups.push(cleanup);
    const { log } = captureLog();
    const env = nodeEnv(dir, log);
    cleanups.push(() => env.history.close());
    const node = new PullNode({
      endpoint: server.endpoint,
      nodeId: '7',
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      env,
      log,
      hostname: 'desk-7',
      keepaliveMs: 3_600_000,
    });
    cleanups.push(() => node.stop());
    node.start();
    await node.ready();
    expect(server.nodes.get('7')).toBe(node.session!.identity);
    server.forgetSessions();
    await expect(node.keepalive()).rejects.toMatchObject({ code: 'unreachable', transient: true });
    await eventually(() => (node.session?.handshakes === 2 ? true : undefined), {
      timeout: 5_000,
      interval: 25,
    });
    await eventually(
      () => server.received.filter((r) => r.action === 'REGISTERNODES').length >= 2 || undefined,
      { timeout: 5_000, interval: 25 },
    );
    await node.keepalive();
  });

  it('recovers when several requests were in flight as the session was lost', async () => {
    const server = await startServer();
    const { log } = captureLog();
    const controller = await GorgoneController.connect({
      endpoint: server.endpoint,
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      log,
    });
    cleanups.push(() => controller.close());
    server.forgetSessions();
    const results = await Promise.allSettled([
      controller.ping(),
      controller.ping(),
      controller.ping(),
    ]);
    expect(
      results.every((r) => r.status === 'rejected' && (r.reason as AgentError).transient),
    ).toBe(true);
    await eventually(
      () =>
        controller.session.state === 'ready' && controller.session.handshakes === 2
          ? true
          : undefined,
      { timeout: 5_000, interval: 25 },
    );
    expect((await controller.ping()).id).toBe('1');
  });

  it('reconnects with a new handshake after the server comes back on the same port', async () => {
    const first = await startServer();
    const port = Number(first.endpoint.split(':').at(-1));
    const { dir, cleanup } = makeTempDirSync('gorgone');
    cleanups.push(cleanup);
    const { log } = captureLog();
    const env = nodeEnv(dir, log);
    cleanups.push(() => env.history.close());
    const node = new PullNode({
      endpoint: first.endpoint,
      nodeId: '8',
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      env,
      log,
      hostname: 'desk-8',
      keepaliveMs: 200,
      requestTimeoutMs: 300,
      backoffMinMs: 50,
    });
    cleanups.push(() => node.stop());
    node.start();
    await node.ready();
    first.close();
    await eventually(() => (node.state !== 'ready' ? true : undefined), {
      timeout: 5_000,
      interval: 25,
    });
    const second = new GorgoneReferenceServer({
      privateKeyPem: serverKey.privateKeyPem,
      publicKeyPem: serverKey.publicKeyPem,
      authorized: [agentKey.thumbprint],
    });
    await second.start(`tcp://127.0.0.1:${port}`);
    cleanups.push(() => second.close());
    await second.waitFor((r) => r.action === 'REGISTERNODES', 10_000);
    await eventually(() => (node.state === 'ready' ? true : undefined), {
      timeout: 5_000,
      interval: 25,
    });
  });
});

describe('pull node refusals', () => {
  it('reports an unauthorized agent key as failed with the line to add, and keeps retrying', async () => {
    const server = await startServer({ authorized: [otherKey.thumbprint] });
    const { dir, cleanup } = makeTempDirSync('gorgone');
    cleanups.push(cleanup);
    const { log } = captureLog();
    const env = nodeEnv(dir, log);
    cleanups.push(() => env.history.close());
    const states: string[] = [];
    const node = new PullNode({
      endpoint: server.endpoint,
      nodeId: '6',
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      env,
      log,
      hostname: 'desk-6',
      backoffMinMs: 50,
      onState: (state) => states.push(state),
    });
    cleanups.push(() => node.stop());
    node.start();
    await expect(node.ready()).rejects.toThrow(`add \`- key: ${agentKey.thumbprint}\``);
    expect(node.state).toBe('failed');
    await eventually(
      () =>
        server.log.filter((l) => l.startsWith('Client pubkey is not authorized')).length >= 2
          ? true
          : undefined,
      { timeout: 5_000, interval: 25 },
    );
    expect(states).toContain('retrying');
  });
});

describe('pull node conversation (§8)', () => {
  async function pullNode(options: Parameters<typeof nodeEnv>[2] = {}, dir?: string) {
    const server = await startServer();
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const { log, lines } = captureLog();
    const env = nodeEnv(dir ?? temp.dir, log, options);
    const node = new PullNode({
      endpoint: server.endpoint,
      nodeId: '3',
      clientKey: clientKey(),
      trust: { thumbprint: serverKey.thumbprint },
      env,
      log,
      hostname: 'desk-3',
      keepaliveMs: 3_600_000,
    });
    cleanups.push(() => env.history.close());
    cleanups.push(() => node.stop());
    node.start();
    await node.ready();
    return { server, node, env, lines, dir: temp.dir };
  }

  async function getlog(server: GorgoneReferenceServer, ctime = 0) {
    const before = server.received.length;
    server.sendToNode('3', 'GETLOG', '', { ctime });
    const setlogs = await server.waitFor(
      (r) => r.action === 'SETLOGS' && server.received.indexOf(r) >= before,
    );
    const body = setlogs.data as {
      code: number;
      data: {
        id: string;
        result: Array<{ token: string; code: number; data: string; ctime: number }>;
      };
    };
    expect(body.code).toBe(0);
    expect(body.data.id).toBe('3');
    return body.data.result;
  }

  it('registers with its routing id, answers PING with PONG, ignores SYNCLOGS and unregisters on exit', async () => {
    const { server, node } = await pullNode();
    const register = await server.waitFor((r) => r.action === 'REGISTERNODES');
    expect(register.data).toEqual({
      nodes: [{ id: '3', identity: node.session!.identity, type: 'pull' }],
    });
    expect(node.session!.identity).toMatch(/^gorgone-3-[0-9a-f]{24}$/);
    server.sendToNode('3', 'PING', '', {});
    const pong = await server.waitFor((r) => r.action === 'PONG');
    expect(pong.data).toEqual({
      code: 0,
      data: { action: 'ping', data: {}, hostname: 'desk-3', id: '3', message: 'ping ok' },
    });
    server.sendToNode('3', 'SYNCLOGS', '', { code: 0, data: { id: '1' } }, '');
    await node.stop();
    const unregister = await server.waitFor((r) => r.action === 'UNREGISTERNODES');
    expect(unregister.data).toEqual({ nodes: [{ id: '3' }] });
    expect(server.nodes.has('3')).toBe(false);
  });

  it('answers an unknown action with an unknown_action failure row', async () => {
    const { server } = await pullNode();
    server.sendToNode('3', 'ENGINECOMMAND', 'tok-engine', { content: {} });
    const rows = await eventually(
      async () => {
        const r = (await getlog(server)).filter((row) => row.token === 'tok-engine');
        return r.length > 0 ? r : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(rows[0]!.code).toBe(1);
    expect(JSON.parse(rows[0]!.data)).toEqual({
      error: 'unknown_action',
      message: "action 'ENGINECOMMAND' is unknown",
    });
  });

  it('refuses COMMAND when not allowed, with the reason in history and in the log', async () => {
    const { server, lines } = await pullNode({
      command: { enabled: true, allow: ['echo [a-z]+'] },
    });
    server.sendToNode('3', 'COMMAND', 'tok-bad', {
      content: [{ command: 'rm -rf /tmp/nothing', timeout: 5 }],
    });
    const rows = await eventually(
      async () => {
        const r = (await getlog(server)).filter((row) => row.token === 'tok-bad' && row.code === 1);
        return r.length > 0 ? r : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(JSON.parse(rows[0]!.data).message).toMatch(/not in this agent's allow-list/);
    expect(lines.some((l) => l.message === 'gorgone COMMAND refused')).toBe(true);
  });

  it("runs an allowed COMMAND without a shell and reports exit code and output with the central's token", async () => {
    const { server } = await pullNode({ command: { enabled: true, allow: ['echo [a-z ]+'] } });
    server.sendToNode('3', 'COMMAND', 'tok-echo', {
      content: [{ command: 'echo hello gorgone', timeout: 500 }],
      parameters: {},
      variables: [],
    });
    const rows = await eventually(
      async () => {
        const r = (await getlog(server)).filter((row) => row.token === 'tok-echo');
        return r.some((row) => row.code === 2) ? r : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(rows.map((r) => r.code)).toEqual([0, 0, 100, 2]);
    const result = JSON.parse(rows[2]!.data) as { result: { exit_code: number; stdout: string } };
    expect(result.result).toEqual({ exit_code: 0, stdout: 'hello gorgone\n' });
  });

  it('caps the timeout and the output, and runs no shell unless allowed', async () => {
    const { server, lines } = await pullNode({
      command: {
        enabled: true,
        allow: ['sleep [0-9]+', 'seq 1 [0-9]+', 'echo .*'],
        maxTimeoutSeconds: 1,
        maxOutputBytes: 1024,
      },
    });
    server.sendToNode('3', 'COMMAND', 'tok-sleep', {
      content: [{ command: 'sleep 30', timeout: 600 }],
    });
    server.sendToNode('3', 'COMMAND', 'tok-seq', {
      content: [{ command: 'seq 1 5000', timeout: 5 }],
    });
    server.sendToNode('3', 'COMMAND', 'tok-noshell', {
      content: [{ command: 'echo hi; id', timeout: 5 }],
    });
    const rows = await eventually(
      async () => {
        const r = await getlog(server);
        const done = ['tok-sleep', 'tok-seq', 'tok-noshell'].every((t) =>
          r.some((row) => row.token === t && (row.code === 1 || row.code === 2)),
        );
        return done ? r : undefined;
      },
      { timeout: 10_000, interval: 25 },
    );
    const result = (token: string) =>
      JSON.parse(rows.find((r) => r.token === token && r.code === 100)!.data);
    const sleep = result('tok-sleep');
    expect(sleep.message).toBe('command has timed out');
    expect(sleep.metrics.duration).toBeLessThan(5);
    expect(rows.find((r) => r.token === 'tok-sleep' && r.code === 1)).toBeDefined();
    const seq = result('tok-seq');
    expect(seq.result.stdout.length).toBe(1024);
    expect(seq.result.truncated).toBe(true);
    // Without allowShell, ';' is an argument of echo, not a command separator.
    expect(result('tok-noshell').result.stdout).toBe('hi; id\n');
    expect(lines.filter((l) => l.message === 'gorgone COMMAND ran')).toHaveLength(3);
  });

  it('records a final failure row for a command line that cannot be split without a shell', async () => {
    const { server } = await pullNode({ command: { enabled: true, allow: ['echo .*'] } });
    server.sendToNode('3', 'COMMAND', 'tok-quote', {
      content: [{ command: 'echo "unterminated' }],
    });
    const rows = await eventually(
      async () => {
        const r = (await getlog(server)).filter(
          (row) => row.token === 'tok-quote' && row.code === 1,
        );
        return r.length > 0 ? r : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(JSON.parse(rows[0]!.data).message).toMatch(/unterminated/);
  });

  it('keeps its history across an agent restart: GETLOG after the restart still returns the old rows', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const first = await pullNode({ command: { enabled: false } }, temp.dir);
    first.server.sendToNode('3', 'COMMAND', 'tok-before-restart', {
      content: [{ command: 'echo x' }],
    });
    await eventually(
      async () =>
        (await getlog(first.server)).some((r) => r.token === 'tok-before-restart')
          ? true
          : undefined,
      { timeout: 5_000, interval: 25 },
    );
    await first.node.stop();
    first.env.history.close();

    const second = await pullNode({}, temp.dir);
    const rows = await getlog(second.server);
    expect(rows.some((r) => r.token === 'tok-before-restart' && r.code === 1)).toBe(true);
    // The ctime cursor: only newer rows.
    const newest = Math.max(...rows.map((r) => r.ctime));
    expect(await getlog(second.server, newest)).toEqual([]);
  });

  it('refuses PROCESSCOPY path traversal and writes an md5-checked file inside the allowed folder', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const destination = join(temp.dir, 'deploy');
    const { server } = await pullNode({ processcopy: { enabled: true, destination } });
    const content = Buffer.from('engine config\n');
    const chunk = { data: content.toString('base64'), size: content.length };
    server.sendToNode('3', 'PROCESSCOPY', 'tok-evil', {
      content: {
        status: 'inprogress',
        type: 'regular',
        chunk,
        md5: null,
        destination: `${destination}/../escape.cfg`,
      },
    });
    server.sendToNode('3', 'PROCESSCOPY', 'tok-outside', {
      content: {
        status: 'inprogress',
        type: 'regular',
        chunk,
        md5: null,
        destination: '/etc/outpost-escape.cfg',
      },
    });
    server.sendToNode('3', 'PROCESSCOPY', 'tok-good', {
      content: {
        status: 'inprogress',
        type: 'regular',
        chunk,
        md5: null,
        destination: `${destination}/engine.cfg`,
      },
    });
    const md5 = createHash('md5').update(content).digest('hex');
    server.sendToNode('3', 'PROCESSCOPY', 'tok-good', {
      content: {
        status: 'end',
        type: 'regular',
        chunk: null,
        md5,
        destination: `${destination}/engine.cfg`,
      },
    });
    const rows = await eventually(
      async () => {
        const r = await getlog(server);
        return r.some((row) => row.token === 'tok-good' && row.code === 2) ? r : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    const evil = rows.find((r) => r.token === 'tok-evil')!;
    expect(evil.code).toBe(1);
    expect(JSON.parse(evil.data).message).toMatch(/path traversal refused/);
    expect(JSON.parse(rows.find((r) => r.token === 'tok-outside')!.data).message).toMatch(
      /outside the allowed folder/,
    );
    expect(existsSync(join(temp.dir, 'escape.cfg'))).toBe(false);
    expect(existsSync('/etc/outpost-escape.cfg')).toBe(false);
    expect(readFileSync(join(destination, 'engine.cfg'), 'utf8')).toBe('engine config\n');
    expect(rows.filter((r) => r.token === 'tok-good').map((r) => r.code)).toEqual([101, 2]);
  });

  it('refuses PROCESSCOPY when it is off (the default) and when the md5 does not match', async () => {
    const { server } = await pullNode();
    server.sendToNode('3', 'PROCESSCOPY', 'tok-off', {
      content: { status: 'end', type: 'regular', chunk: null, md5: 'x', destination: 'a.cfg' },
    });
    const rows = await eventually(
      async () => {
        const r = (await getlog(server)).filter((row) => row.token === 'tok-off');
        return r.length > 0 ? r : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(JSON.parse(rows[0]!.data).message).toMatch(/disabled on this agent/);

    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const other = await pullNode({ processcopy: { enabled: true, destination: temp.dir } });
    const chunk = { data: Buffer.from('abc').toString('base64'), size: 3 };
    other.server.sendToNode('3', 'PROCESSCOPY', 'tok-md5', {
      content: { status: 'inprogress', type: 'regular', chunk, destination: 'f.cfg' },
    });
    other.server.sendToNode('3', 'PROCESSCOPY', 'tok-md5', {
      content: {
        status: 'end',
        type: 'regular',
        chunk: null,
        md5: '0'.repeat(32),
        destination: 'f.cfg',
      },
    });
    const md5Rows = await eventually(
      async () => {
        const r = (await getlog(other.server)).filter(
          (row) => row.token === 'tok-md5' && row.code === 1,
        );
        return r.length > 0 ? r : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(JSON.parse(md5Rows[0]!.data).message).toMatch(/md5 mismatch/);
    expect(existsSync(join(temp.dir, 'f.cfg'))).toBe(false);
    expect(existsSync(join(temp.dir, 'f.cfg.outpost-part'))).toBe(false);
  });

  /** Sends one payload as gorgone's proxy does, then GETLOG until the token's final row. */
  async function pushArchive(
    server: GorgoneReferenceServer,
    token: string,
    payload: Buffer,
    destination: string,
  ) {
    for (const message of processCopyMessages(payload, { type: 'archive', destination })) {
      server.sendToNode('3', 'PROCESSCOPY', token, message);
    }
    return eventually(
      async () => {
        const rows = (await getlog(server)).filter((row) => row.token === token);
        return rows.some((row) => row.code === 1 || row.code === 2) ? rows : undefined;
      },
      { timeout: 15_000, interval: 25 },
    );
  }

  it('extracts a PROCESSCOPY archive (tar czf of a folder, 500 000-byte chunks) into the allowed folder, 101 per chunk then 2', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const source = join(temp.dir, 'generated', 'poller-3');
    const longName = `${'services-'.repeat(16)}.cfg`;
    mkdirSync(join(source, 'conf.d', 'broker'), { recursive: true });
    writeFileSync(join(source, 'centengine.cfg'), 'cfg_dir=/etc/centreon-engine/conf.d\n');
    writeFileSync(join(source, 'conf.d', longName), randomBytes(900_000));
    writeFileSync(join(source, 'conf.d', 'broker', 'central-module.json'), randomBytes(300_000));
    const payloadPath = join(temp.dir, 'engine-3.tar.gz');
    execFileSync('tar', ['-czf', payloadPath, '-C', source, '.', '--owner=root', '--group=root']);
    const payload = readFileSync(payloadPath);
    const chunks = Math.ceil(payload.length / 500_000);
    expect(chunks).toBeGreaterThanOrEqual(3);
    const root = join(temp.dir, 'deploy');
    mkdirSync(root);
    writeFileSync(join(root, 'centengine.cfg'), 'stale configuration\n');
    const { server } = await pullNode({ processcopy: { enabled: true, destination: root } });

    const rows = await pushArchive(server, 'tok-archive', payload, `${root}/`);

    expect(rows.map((r) => r.code)).toEqual([...Array(chunks).fill(101), 2]);
    expect(JSON.parse(rows[0]!.data)).toEqual({ message: 'process copy inprogress' });
    expect(JSON.parse(rows.at(-1)!.data)).toEqual({
      message: 'process copy finished successfully',
      destination: root,
      type: 'archive',
      files: 3,
      directories: 2,
      size: 1_200_000 + 'cfg_dir=/etc/centreon-engine/conf.d\n'.length,
    });
    expect(treeOf(root)).toEqual(treeOf(source));
    expect(readdirSync(root).some((name) => name.startsWith('.outpost-'))).toBe(false);
  });

  it('refuses a PROCESSCOPY archive holding a symlink, or whose md5 does not match, with a code-1 row and nothing written', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const source = join(temp.dir, 'source');
    mkdirSync(source);
    writeFileSync(join(source, 'a.cfg'), 'a\n');
    symlinkSync('/etc/passwd', join(source, 'z-passwd'));
    const payload = execFileSync('tar', ['-cz', '--sort=name', '-C', source, '.']);
    const root = join(temp.dir, 'deploy');
    const { server } = await pullNode({ processcopy: { enabled: true, destination: root } });

    const refused = await pushArchive(server, 'tok-symlink', payload, 'engine');
    expect(refused.map((r) => r.code)).toEqual([101, 1]);
    expect(JSON.parse(refused[1]!.data).message).toBe(
      `archive holds a symlink './z-passwd' → '/etc/passwd' → refused (nothing was written to ${join(root, 'engine')})`,
    );

    writeFileSync(join(source, 'z-passwd.cfg'), 'replaces the link\n');
    rmSync(join(source, 'z-passwd'));
    const good = execFileSync('tar', ['-cz', '-C', source, '.']);
    const [first, end] = processCopyMessages(good, { type: 'archive', destination: 'engine' }) as [
      { content: Record<string, unknown> },
      { content: Record<string, unknown> },
    ];
    end.content.md5 = createHash('md5').update('something else').digest('hex');
    server.sendToNode('3', 'PROCESSCOPY', 'tok-archive-md5', first);
    server.sendToNode('3', 'PROCESSCOPY', 'tok-archive-md5', end);
    const mismatch = await eventually(
      async () => {
        const rows = (await getlog(server)).filter((row) => row.token === 'tok-archive-md5');
        return rows.some((row) => row.code === 1) ? rows : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(JSON.parse(mismatch.at(-1)!.data).message).toMatch(
      /^PROCESSCOPY md5 mismatch for engine/,
    );
    expect(treeOf(root)).toEqual([]);
  });

  it('refuses an archive transfer over processcopy.maxArchiveBytes at the first chunk past it, with one row for the whole transfer', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const source = join(temp.dir, 'source');
    mkdirSync(source);
    writeFileSync(join(source, 'big.bin'), randomBytes(1_200_000));
    const payload = execFileSync('tar', ['-cz', '-C', source, '.'], { maxBuffer: 16 << 20 });
    const root = join(temp.dir, 'deploy');
    const { server } = await pullNode({
      processcopy: { enabled: true, destination: root, maxArchiveBytes: 700_000 },
    });
    const rows = await pushArchive(server, 'tok-too-big', payload, root);
    expect(rows.map((r) => r.code)).toEqual([101, 1]);
    expect(JSON.parse(rows[1]!.data).message).toBe(
      `PROCESSCOPY archive for ${root} is larger than 700000 bytes → refused (processcopy.maxArchiveBytes)`,
    );
    // The rest of the refused transfer (chunk 3, end) adds no row.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await getlog(server)).filter((r) => r.token === 'tok-too-big')).toHaveLength(2);
    expect(treeOf(root)).toEqual([]);
  });

  it('the processcopy settings carry the caps and the idle timeout, with defaults', () => {
    expect(gorgoneSettingsSchema.parse({}).processcopy).toEqual({
      enabled: false,
      maxArchiveBytes: DEFAULT_MAX_ARCHIVE_BYTES,
      maxArchiveEntries: DEFAULT_MAX_ARCHIVE_ENTRIES,
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
      idleTimeoutSeconds: DEFAULT_COPY_IDLE_TIMEOUT_SECONDS,
    });
    expect(() => gorgoneSettingsSchema.parse({ processcopy: { maxArchiveEntries: 0 } })).toThrow();
    expect(() => gorgoneSettingsSchema.parse({ processcopy: { maxFileBytes: 1_000 } })).toThrow();
    expect(() => gorgoneSettingsSchema.parse({ processcopy: { idleTimeoutSeconds: 0 } })).toThrow();
  });

  it('at start, removes the partial files of transfers a killed agent left in the PROCESSCOPY folder', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const root = join(temp.dir, 'deploy');
    mkdirSync(join(root, 'conf.d'), { recursive: true });
    writeFileSync(join(root, 'conf.d', 'hosts.cfg.outpost-part'), 'half a file');
    writeFileSync(join(root, 'conf.d', 'hosts.cfg'), 'kept\n');
    const { lines } = await pullNode({ processcopy: { enabled: true, destination: root } });
    await eventually(() => lines.some((l) => l.message.includes('removed partial files')), {
      timeout: 5_000,
      interval: 25,
    });
    expect(treeOf(root).map((e) => e.path)).toEqual(['conf.d', 'conf.d/hosts.cfg']);
  });
});

describe('history store', () => {
  it('needs at least one GETLOG filter and never repeats a ctime', () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const store = new HistoryStore(join(temp.dir, 'h.sqlite'));
    cleanups.push(() => store.close());
    expect(() => store.query({})).toThrow(/at least one filter/);
    const rows = Array.from({ length: 50 }, (_, i) =>
      store.record({ code: 2, token: `t${i}`, data: { i } }),
    );
    expect(new Set(rows.map((r) => r.ctime)).size).toBe(50);
    expect(store.query({ ctime: rows[24]!.ctime }).map((r) => r.token)).toEqual(
      rows.slice(25).map((r) => r.token),
    );
    expect(store.query({ token: 't3' })).toHaveLength(1);
    expect(store.query({ code: 2, limit: 5 })).toHaveLength(5);
  });

  it('prunes rows older than the retention (a week by default, like gorgone dbcleaner)', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const store = new HistoryStore(join(temp.dir, 'h.sqlite'));
    cleanups.push(() => store.close());
    store.record({ code: 2, token: 'old', data: {} });
    expect(store.prune()).toBe(0);
    // Wide margins: 'new' must stay younger than the cut-off even after a GC pause.
    await new Promise((r) => setTimeout(r, 400));
    store.record({ code: 2, token: 'new', data: {} });
    expect(store.prune(0.2)).toBe(1);
    expect(store.query({ id: 0 }).map((r) => r.token)).toEqual(['new']);
  });
});
