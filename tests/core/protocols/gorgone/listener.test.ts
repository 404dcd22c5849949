/**
 * Push mode (gorgone.md §1, §4 server side, §5, §9): the reference central
 * (GorgoneReferenceClient, written from the spec) connects to our listener on
 * 127.0.0.1 over real ZMQ sockets.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateToken } from '../../../../main/core/protocols/gorgone/codec.ts';
import type { GorgoneController } from '../../../../main/core/protocols/gorgone/controller.ts';
import { registerSnippet } from '../../../../main/core/protocols/gorgone/listener.ts';
import type { GorgoneReferenceClient } from '../../../peers/gorgone-server.ts';
import {
  controllerFor,
  processCopyMessages,
  referenceCentral,
  startTestListener,
  testKey,
  treeOf,
  type Cleanups,
} from './helpers.ts';
import { eventually } from '../../../poll.ts';
import { makeTempDirSync } from '../../../peers/util.ts';

type Key = Awaited<ReturnType<typeof testKey>>;
let agentKey: Key;
let centralKey: Key;
let strangerKey: Key;
const cleanups: Cleanups = [];

beforeAll(async () => {
  [agentKey, centralKey, strangerKey] = await Promise.all([testKey(), testKey(), testKey()]);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startListener(options: Parameters<typeof startTestListener>[2] = {}) {
  return startTestListener(cleanups, { agent: agentKey, central: centralKey }, options);
}

function central(endpoint: string): GorgoneReferenceClient {
  return referenceCentral(cleanups, endpoint);
}

function connectController(endpoint: string): Promise<GorgoneController> {
  return controllerFor(cleanups, endpoint, { agent: agentKey, central: centralKey });
}

describe('push-mode listener', () => {
  it('handshakes with an authorized central, answers PING, GETTHUMBPRINT, CONSTATUS and GETLOG rows', async () => {
    const { env, endpoint, text } = await startListener();
    env.history.record({ code: 2, token: 'check-cpu', data: { message: 'cpu ok' } });
    const client = central(endpoint);
    const hs = await client.handshake(centralKey);
    expect(hs.failure).toBeUndefined();
    expect(hs.serverThumbprint).toBe(agentKey.thumbprint);

    const pong = await client.request('[PING] [] [] {}');
    const m = /^\[PONG\] \[([0-9a-f]{128})\] \[\] (.*)$/.exec(pong)!;
    expect(JSON.parse(m[2]!)).toEqual({
      code: 0,
      data: { action: 'ping', message: 'ping ok', id: '12', hostname: 'desk-12', data: {} },
    });

    expect(await client.request('[GETTHUMBPRINT] [t1] [] {}')).toBe(
      `[GETTHUMBPRINT] [t1] {"code":2,"data":{"action":"getthumbprint","message":"ok","data":{"thumbprint":"${agentKey.thumbprint}"}}}`,
    );
    expect(await client.request('[CONSTATUS] [t2] [] {}')).toMatch(
      /^\[CONSTATUS\] \[t2\] \{"code":0/,
    );

    const getlog = /^\[ACK\] \[t3\] (.*)$/.exec(
      await client.request('[GETLOG] [t3] [] {"ctime":0}'),
    )!;
    const body = JSON.parse(getlog[1]!) as {
      code: number;
      data: { id: string; result: Array<{ token: string; code: number; data: string }> };
    };
    expect(body.code).toBe(0);
    expect(body.data.id).toBe('12');
    expect(body.data.result).toHaveLength(1);
    expect(body.data.result[0]).toMatchObject({
      token: 'check-cpu',
      code: 2,
      data: '{"message":"cpu ok"}',
    });

    expect(await client.request('[GETLOG] [t4] [] {}')).toBe(
      '[ACK] [t4] {"code":1,"data":{"action":"getlog","message":"need at least one filter"}}',
    );
    expect(await client.request('[LOADMODULE] [t5] [] {"name":"x"}')).toBe(
      `[ACK] [] {"code":1,"data":{"error":"unknown_action","message":"action 'LOADMODULE' is unknown"}}`,
    );
    expect(text()).not.toContain(client.keys!.key.toString('hex'));
  });

  it('refuses a central whose thumbprint is not authorized, and logs its thumbprint only', async () => {
    const { endpoint, lines, text, listener } = await startListener();
    const client = central(endpoint);
    const hs = await client.handshake(strangerKey);
    expect(hs.failure).toBe('[ACK] [] {"code":1,"data":{"message":"handshake issue"}}');
    const refusal = lines.find((l) => l.message.includes('not authorized'))!;
    expect(refusal.level).toBe('warn');
    expect(refusal.message).toContain(strangerKey.thumbprint);
    expect(text()).not.toContain('BEGIN');
    expect(listener.counters.refused).toBe(1);
    // Garbage where a HELO is expected: refused the same way.
    await client.sendRaw('not a helo at all');
    expect(await client.next()).toBe('[ACK] [] {"code":1,"data":{"message":"handshake issue"}}');
  });

  it('drops frames from routing ids that do not start with gorgone- (§2)', async () => {
    const { endpoint, lines } = await startListener();
    const client = referenceCentral(cleanups, endpoint, 'desktop-1234');
    await client.sendRaw('[GETPUBKEY]');
    await expect(client.next(300)).rejects.toThrow(/no frame/);
    expect(lines.some((l) => l.message.includes('not starting with gorgone-'))).toBe(true);
  });

  it('rotates the session key under the old key and the central follows (§5)', async () => {
    const { endpoint, listener } = await startListener({ rotationSeconds: 0.2 });
    const client = central(endpoint);
    await client.handshake(centralKey);
    const first = client.keys!.key.toString('hex');
    await eventually(() => (client.rotations >= 1 ? true : undefined), {
      timeout: 5_000,
      interval: 25,
    });
    expect(client.keys!.key.toString('hex')).not.toBe(first);
    expect(listener.counters.rotations).toBeGreaterThanOrEqual(1);
    expect(await client.request('[PING] [p] [] {}')).toMatch(/^\[PONG\] \[p\] \[\] /);
  });

  it('our controller runs a COMMAND on it with a unique token and polls the result with GETLOG (§9)', async () => {
    const { endpoint } = await startListener({
      command: { enabled: true, allow: ['echo [a-z]+'] },
    });
    const controller = await connectController(endpoint);
    const result = await controller.action(
      'COMMAND',
      { content: [{ command: 'echo pushed', timeout: 5 }] },
      { pollMs: 50 },
    );
    expect(result.token).toMatch(/^[0-9a-f]{128}$/);
    expect(result.code).toBe(2);
    const output = result.rows.find((r) => r.code === 100)!.data as { result: { stdout: string } };
    expect(output.result.stdout).toBe('pushed\n');
    const refused = await controller.action(
      'COMMAND',
      { content: [{ command: 'cat /etc/passwd' }] },
      { pollMs: 50 },
    );
    expect(refused.code).toBe(1);
    const info = await controller.information();
    expect(String((info.data as { version: string }).version)).toMatch(/^outpost /);
  });

  it('a central pushes an archive with PROCESSCOPY (ACK per chunk), it is extracted and GETLOG shows 101… then 2', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const source = join(temp.dir, 'source');
    mkdirSync(join(source, 'conf.d'), { recursive: true });
    writeFileSync(join(source, 'conf.d', 'hosts.cfg'), randomBytes(600_000));
    writeFileSync(join(source, 'centengine.cfg'), 'pushed\n');
    const payload = execFileSync('tar', ['-cz', '-C', source, '.']);
    const root = join(temp.dir, 'centreon-engine');
    const { endpoint } = await startListener({ processcopy: { enabled: true, destination: root } });
    const controller = await connectController(endpoint);
    const token = generateToken();
    for (const message of processCopyMessages(payload, { type: 'archive', destination: root })) {
      const ack = await controller.session.request('PROCESSCOPY', message, { token });
      expect(ack.json).toEqual({ code: 0, data: null });
    }
    const rows = await eventually(
      async () => {
        const r = await controller.getlog({ token });
        return r.some((row) => row.code === 2 || row.code === 1) ? r : undefined;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(rows.map((r) => r.code)).toEqual([101, 101, 2]);
    expect(treeOf(root)).toEqual(treeOf(source));
  });

  it('prints the register snippet the central needs', () => {
    expect(registerSnippet('12', '192.0.2.7', 5556)).toBe(
      '- id: 12\n  type: push_zmq\n  address: 192.0.2.7\n  port: 5556',
    );
  });
});
