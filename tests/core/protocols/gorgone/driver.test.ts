/**
 * The queue's side of Gorgone: the 'gorgone' TargetDriver delivers 'message'
 * items to a paired central and resolves only on the server's answer; and
 * recordHistory() rows reach a central's GETLOG.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import { recordHistory, historyStore } from '../../../../main/core/protocols/gorgone/history.ts';
import { gorgoneModule } from '../../../../main/core/protocols/gorgone/index.ts';
import type { QueueItem } from '../../../../main/core/contract/queue-items.ts';
import type { TargetDriver } from '../../../../main/core/targets/driver.ts';
import { GorgoneReferenceServer } from '../../../peers/gorgone-server.ts';
import { testKey } from './helpers.ts';
import { makeTempDirSync } from '../../../peers/util.ts';

let agent: Agent;
let server: GorgoneReferenceServer;
const cleanups: Array<() => void | Promise<void>> = [];

beforeAll(async () => {
  const [agentKey, serverKey] = await Promise.all([testKey(), testKey()]);
  const temp = makeTempDirSync('gorgone');
  cleanups.push(temp.cleanup);
  mkdirSync(join(temp.dir, 'identity'), { recursive: true, mode: 0o700 });
  writeFileSync(join(temp.dir, 'identity', 'agent.key'), agentKey.privateKeyPem, { mode: 0o600 });
  server = new GorgoneReferenceServer({
    privateKeyPem: serverKey.privateKeyPem,
    publicKeyPem: serverKey.publicKeyPem,
    authorized: [agentKey.thumbprint],
  });
  await server.start();
  cleanups.push(() => server.close());
  agent = await Agent.open({
    dataDir: temp.dir,
    modules: [gorgoneModule],
    logToFile: false,
  });
  cleanups.push(() => agent.close());
  const port = Number(server.endpoint.split(':').at(-1));
  await agent.api.pairGorgone({
    name: 'central',
    host: '127.0.0.1',
    port,
    nodeId: '4',
    trustThumbprint: serverKey.thumbprint,
  });
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function messageItem(message: Record<string, unknown>): QueueItem {
  return {
    id: 'm1',
    target: 'central',
    payload: { kind: 'message', message },
    state: 'sending',
    createdAt: Date.now(),
    attempts: 0,
    nextAttemptAt: 0,
    lastError: undefined,
    bytesTotal: 0,
    bytesSent: 0,
    deliveredAt: undefined,
  };
}

describe('gorgone TargetDriver', () => {
  it('accepts message items only and checks the action name at enqueue', () => {
    const driver = agent.context.targets.driver('gorgone') as TargetDriver<unknown>;
    expect(driver.accepts).toEqual(['message']);
    const record = agent.context.targets.get('central');
    expect(() =>
      driver.validate!(record, { payload: { kind: 'message', message: { data: {} } } }),
    ).toThrow(/needs "action"/);
    expect(() =>
      driver.validate!(record, {
        payload: { kind: 'message', message: { action: 'PUTLOG', target: '../x' } },
      }),
    ).toThrow(/node id/);
  });

  it('delivers a message and resolves on the server ACK', async () => {
    const driver = agent.context.targets.driver('gorgone') as TargetDriver<unknown>;
    const record = agent.context.targets.get('central');
    const entry = {
      code: 2,
      etime: 1_700_000_000,
      token: 'desk-result',
      instant: 0,
      data: '{"message":"disk ok"}',
    };
    await driver.deliver(record, messageItem({ action: 'PUTLOG', data: entry }), {
      signal: new AbortController().signal,
      progress: () => undefined,
    });
    expect(server.putlogs).toEqual([entry]);
  });

  it('fails for good (not transient) when the server answers code 1', async () => {
    const driver = agent.context.targets.driver('gorgone') as TargetDriver<unknown>;
    const record = agent.context.targets.get('central');
    const error = await driver
      .deliver(record, messageItem({ action: 'NOSUCHACTION' }), {
        signal: new AbortController().signal,
        progress: () => undefined,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('refused');
    expect((error as AgentError).transient).toBe(false);
    expect((error as AgentError).message).toContain('unknown_action');
  });

  it('validates gorgone settings updates as a whole, naming the field at fault', async () => {
    await expect(
      agent.api.updateGorgoneSettings({ processcopy: { enabled: true } }),
    ).rejects.toMatchObject({
      code: 'invalid-request',
      field: 'gorgone.processcopy.destination',
    });
    await expect(
      agent.api.updateGorgoneSettings({ listener: { bind: 'nowhere' } }),
    ).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(
      agent.api.updateGorgoneSettings({ command: { allow: ['('] } }),
    ).rejects.toMatchObject({ code: 'invalid-request' });
    const updated = await agent.api.updateGorgoneSettings({
      command: { enabled: true, allow: ['uptime'] },
      listener: { rotationSeconds: 3600 },
    });
    expect(updated.command).toMatchObject({ enabled: true, allow: ['uptime'], allowShell: false });
    expect(updated.listener).toMatchObject({ enabled: false, rotationSeconds: 3600 });
    expect(await agent.api.getGorgoneSettings({})).toEqual(updated);
  });

  it('takes a central key as a file path, like every key and certificate of the contract', async () => {
    const central = await testKey();
    const temp = makeTempDirSync('gorgone-key');
    cleanups.push(temp.cleanup);
    const file = join(temp.dir, 'central.pub');
    writeFileSync(file, central.publicKeyPem);
    await expect(agent.api.addGorgoneAuthorized({ publicKeyFile: file })).resolves.toMatchObject({
      thumbprint: central.thumbprint,
    });
    await expect(
      agent.api.addGorgoneAuthorized({ publicKeyFile: join(temp.dir, 'missing.pub') }),
    ).rejects.toMatchObject({ code: 'invalid-request', field: 'publicKeyFile' });
  });

  it('changes only the COMMAND policy fields a request names', async () => {
    await agent.api.updateGorgoneSettings({
      command: { enabled: true, allow: ['uptime', 'df -h'], maxTimeoutSeconds: 30 },
    });
    const updated = await agent.api.updateGorgoneSettings({ command: { enabled: false } });
    expect(updated.command).toMatchObject({
      enabled: false,
      allow: ['uptime', 'df -h'],
      maxTimeoutSeconds: 30,
    });
  });

  it('recordHistory() rows are what GETLOG serves', () => {
    const row = recordHistory(agent.context, {
      code: 2,
      token: 'check-disk',
      data: { message: 'disk ok' },
    });
    expect(historyStore(agent.context).query({ token: 'check-disk' })).toEqual([row]);
    expect(row.data).toBe('{"message":"disk ok"}');
  });
});
