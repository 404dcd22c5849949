/**
 * The OnSphere connector end to end against a real RabbitMQ node and the
 * reference dispatcher: pairing, values seen by a module of the stack,
 * requests and replies, the last-known-good config, change notification,
 * metrics.
 */
import amqp from 'amqplib';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Agent } from '../../../../main/core/agent.ts';
import type { PairingStep } from '../../../../main/core/contract/core.ts';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import {
  ConnectorPool,
  OnsphereConnector,
} from '../../../../main/core/protocols/onsphere/connector.ts';
import {
  messageIdFor,
  parseReply,
  parseValueBody,
} from '../../../../main/core/protocols/onsphere/codec.ts';
import { readStoredConfig } from '../../../../main/core/protocols/onsphere/dispatcher.ts';
import type { QueueItem } from '../../../../main/core/contract/queue-items.ts';
import { targetSecretName } from '../../../../main/core/secrets.ts';
import type { TargetDriver } from '../../../../main/core/targets/driver.ts';
import { runCli } from '../../../cli/run-cli.ts';
import { freePort } from '../../../peers/util.ts';
import { join } from 'node:path';
import { brokerSuite, EXCHANGES, NAME, startStack, VHOST, type Stack } from './fixture.ts';

let stack: Stack;
let agent: Agent;

brokerSuite()('OnSphere connector against a real broker', () => {
  beforeAll(async () => {
    stack = await startStack('connector');
    agent = await stack.openAgent('main');
  });
  afterAll(async () => stack?.cleanup());

  it('pairs: identity checked, config fetched over TLS 1.3, broker joined, target saved (steps reported)', async () => {
    const files = await stack.files('good', stack.connector);
    const steps: PairingStep[] = [];
    const off = agent.events.on('pairing.step', (s) => steps.push(s));
    const metricsPort = await freePort();
    const result = await agent.api.pairOnsphere({
      name: 'stack',
      dispatcher: { host: '127.0.0.1', port: stack.dispatcher.port },
      caFile: files.ca,
      certFile: files.cert,
      keyFile: files.key,
      metricsPort,
    });
    off();
    expect(result.identity.cn).toBe(NAME);
    expect(result.identity.certFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(result.config).toMatchObject({ version: 'v1', module: NAME, vhost: VHOST });
    expect(result.broker.connected).toBe(true);
    expect(steps.filter((s) => s.status === 'done').map((s) => s.step)).toEqual([
      'identity',
      'dispatcher',
      'broker',
      'save',
    ]);
    // The dispatcher saw our certificate's CN and fingerprint.
    expect(stack.dispatcher.log.at(-1)).toMatchObject({
      cn: NAME,
      status: 200,
      fingerprint: result.identity.certFingerprint,
    });
    const record = agent.context.targets.get('stack');
    expect(record.config).toMatchObject({
      host: '127.0.0.1',
      port: stack.dispatcher.port,
      cn: NAME,
      metricsPort,
    });
    expect(JSON.stringify(record.config)).not.toContain('PRIVATE KEY');
    const keyPath = agent.context.identity.certificateFiles('stack').keyPath;
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    // The config's secrets went to the SecretStore, not to the last-known-good file.
    const stored = await readStoredConfig(agent.context, 'stack');
    expect(stored?.config.secrets).toBeUndefined();
    expect(await agent.context.secrets.get(targetSecretName('stack', 'config.usm.ops.auth'))).toBe(
      'top-secret-usm',
    );
  });

  it('publishes a value a stack module receives with the §4.4 properties (--now resolves on confirm)', async () => {
    const peer = await stack.peerConnection();
    const ch = await peer.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, EXCHANGES.values, 'value.*.root.site1.#');
    const got = new Promise<amqp.ConsumeMessage>(
      (resolve) => void ch.consume(q.queue, (m) => m && resolve(m), { noAck: true }),
    );
    const result = await agent.api.publishOnsphere({
      target: 'stack',
      valueId: 'root.site1.ups.temp',
      value: 21.5,
      now: true,
      timestamp: Date.UTC(2026, 10, 22, 14, 22, 45, 123),
    });
    expect(result.outcome).toBe('confirmed');
    const msg = await got;
    expect(msg.fields.routingKey).toBe(`value.${NAME}.root.site1.ups.temp`);
    expect(msg.properties).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      type: 'osp.value/1',
      appId: 'outpost',
      timestamp: Math.floor(Date.UTC(2026, 10, 22, 14, 22, 45) / 1000),
    });
    expect(msg.properties.messageId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(msg.properties.headers).toMatchObject({ 'x-osp-module': NAME });
    expect(parseValueBody(msg.content)).toEqual({
      id: 'root.site1.ups.temp',
      value: 21.5,
      type: 'DECIMAL',
      quality: 'GOOD',
      ts: '2026-11-22T14:22:45.123Z',
    });
    await ch.close();
  });

  it('delivers queue items through the driver: a check result becomes one value per status and perfdata label; unroutable is a permanent failure', async () => {
    const peer = await stack.peerConnection();
    const ch = await peer.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, EXCHANGES.values, 'value.*.outpost.#');
    const received: amqp.ConsumeMessage[] = [];
    await ch.consume(q.queue, (m) => m && received.push(m), { noAck: true });
    const driver = agent.context.targets.driver('onsphere') as TargetDriver<unknown>;
    expect(driver.accepts).toEqual(['value', 'check-result']);
    const record = agent.context.targets.get('stack');
    const item = (id: string, payload: QueueItem['payload']): QueueItem => ({
      id,
      target: 'stack',
      payload,
      state: 'sending',
      createdAt: Date.now(),
      attempts: 0,
      nextAttemptAt: 0,
      lastError: undefined,
      bytesTotal: 0,
      bytesSent: 0,
      deliveredAt: undefined,
    });
    const ctl = new AbortController();
    const delivery = { signal: ctl.signal, progress: () => undefined };
    await driver.deliver(
      record,
      item('item-1', {
        kind: 'check-result',
        result: {
          host: 'ws-42',
          service: 'disk',
          state: 1,
          output: 'DISK WARNING',
          performanceData: ["'/'=81%;80;90;0;100", 'inodes=12'],
          executionStart: 1,
          executionEnd: 1700000000.5,
        },
      }),
      delivery,
    );
    // Confirmed by the broker is not yet consumed by our peer: wait for it.
    for (let i = 0; i < 100 && received.length < 3; i++)
      await new Promise((r) => setTimeout(r, 50));
    const bodies = received.map((m) => parseValueBody(m.content));
    expect(bodies.map((b) => [b.id, b.value, b.type])).toEqual([
      ['outpost.ws-42.disk.state', 1, 'INTEGER'],
      ['outpost.ws-42.disk.value', 81, 'INTEGER'],
      ['outpost.ws-42.disk.inodes', 12, 'INTEGER'],
    ]);
    // message ids are derived from the item: the same item re-sent carries the same ids (§4.4).
    expect(received.map((m) => m.properties.messageId)).toEqual(
      [0, 1, 2].map((i) => messageIdFor('item-1', i)),
    );
    const unroutable = driver.deliver(
      record,
      item('item-2', {
        kind: 'value',
        value: { valueId: 'nobody.listens.here', value: true, timestamp: Date.now() },
      }),
      delivery,
    );
    await expect(unroutable).rejects.toMatchObject({ code: 'refused', transient: false });
    await expect(unroutable).rejects.toThrow(/NO_ROUTE/);
    expect(() =>
      driver.validate!(record, {
        payload: { kind: 'value', value: { valueId: 'bad id!', value: 1, timestamp: 0 } },
      }),
    ).toThrow(/dotted OnSphere value path/);
    expect(() =>
      driver.validate!(record, {
        payload: {
          kind: 'value',
          value: { valueId: `a.${'x'.repeat(260)}`, value: 1, timestamp: 0 },
        },
      }),
    ).toThrow(/255 bytes/);
    await ch.close();
  });

  it('answers a request from the stack with its correlation id, and serves metrics on 127.0.0.1', async () => {
    const pool = new ConnectorPool(agent.context);
    await pool.setOptions({ metrics: true, requests: true, notices: true });
    const connector = await pool.get(agent.context.targets.get('stack'));
    try {
      await connector.session!.ready(20_000);
      await connector.publishValue({
        valueId: 'root.site1.ups.load',
        value: 42,
        timestamp: Date.now(),
      });
      const peer = await stack.peerConnection();
      const ch = await peer.createChannel();
      const replies = new Map<string, amqp.ConsumeMessage>();
      await ch.consume(
        'amq.rabbitmq.reply-to',
        (m) => m && replies.set(String(m.properties.correlationId), m),
        { noAck: true },
      );
      const ask = (correlationId: string, body: unknown, action: string): void => {
        ch.publish(
          EXCHANGES.requests,
          `request.${NAME}.${action}`,
          Buffer.from(JSON.stringify(body)),
          {
            replyTo: 'amq.rabbitmq.reply-to',
            correlationId,
            messageId: `m-${correlationId}`,
            type: 'osp.request/1',
            expiration: '60000',
          },
        );
      };
      ask('c-1', { action: 'read', id: 'root.site1.ups.load' }, 'read');
      ask('c-2', { action: 'write', id: 'root.site1.ups.load', value: 1 }, 'write');
      ask('c-3', { nonsense: true }, 'read');
      for (let i = 0; i < 100 && replies.size < 3; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(parseReply(replies.get('c-1')!.content)).toMatchObject({
        status: 'ok',
        result: { id: 'root.site1.ups.load', value: 42 },
      });
      expect(parseReply(replies.get('c-2')!.content)).toMatchObject({
        status: 'error',
        error: { code: 'REFUSED' },
      });
      expect(parseReply(replies.get('c-3')!.content)).toMatchObject({
        status: 'error',
        error: { code: 'BAD_REQUEST' },
      });
      // The request queue is durable and ours; everything was acked.
      const check = await (await stack.peerConnection()).createChannel();
      const info = await check.checkQueue(`osp.connector.${NAME}.requests`);
      expect(info.messageCount).toBe(0);

      const metrics = connector.status().metrics!;
      expect(metrics.host).toBe('127.0.0.1');
      const text = await new Promise<string>((resolve, reject) => {
        request({ host: metrics.host, port: metrics.port, path: '/metrics' }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        })
          .on('error', reject)
          .end();
      });
      expect(text).toMatch(/^osp_up 1$/m);
      expect(text).toMatch(/^osp_values_confirmed_total 1$/m);
      expect(text).toMatch(/^osp_config_info\{version="v1",stale="false"\} 1$/m);
      expect(text).toMatch(/^osp_requests_total\{action="read",result="ok"\} 1$/m);
      expect(text).toMatch(/^osp_dispatcher_fetches_total\{result="not-modified"\} 1$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).not.toContain('top-secret');
    } finally {
      await pool.stopAll();
    }
  });

  it('follows a config change notified on osp.config: re-fetches with If-None-Match and reconnects', async () => {
    const connector = new OnsphereConnector(agent.context, agent.context.targets.get('stack'), {
      notices: true,
    });
    await connector.start();
    try {
      await connector.session!.ready(20_000);
      await stack.dispatcher.changeConfig(NAME, (body) => (body.amqp.heartbeatSeconds = 20), 'v2');
      for (let i = 0; i < 100 && connector.current?.config.version !== 'v2'; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(connector.current?.config.version).toBe('v2');
      expect(connector.session!.config.amqp.heartbeatSeconds).toBe(20);
      await connector.session!.ready(20_000);
      expect((await readStoredConfig(agent.context, 'stack'))?.config.version).toBe('v2');
    } finally {
      await connector.stop();
    }
  });

  it('uses the last-known-good config when the dispatcher is down, marked stale', async () => {
    const port = await freePort();
    const record = agent.context.targets.save('stack', 'onsphere', {
      ...(agent.context.targets.get('stack').config as object),
      port,
    });
    const connector = new OnsphereConnector(agent.context, record);
    try {
      await connector.start();
      expect(connector.current?.stale).toBe(true);
      expect(connector.current?.staleReason).toMatch(/unreachable|ECONNREFUSED/);
      await connector.session!.ready(20_000);
      expect(
        await connector.publishValue({
          valueId: 'root.site1.after',
          value: 'ok',
          timestamp: Date.now(),
        }),
      ).toBe('confirmed');
      const status = await agent.api.getOnsphereStatus({ name: 'stack' });
      expect(status.identity?.cn).toBe(NAME);
      expect(status.config?.version).toBe('v2');
    } finally {
      await connector.stop();
      agent.context.targets.save('stack', 'onsphere', {
        ...(record.config as object),
        port: stack.dispatcher.port,
      });
    }
  });

  it('publishOnsphere without --now goes through the durable queue: delivered by `run`, confirmed by the broker', async () => {
    const peer = await stack.peerConnection();
    const ch = await peer.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, EXCHANGES.values, 'value.*.root.queued.#');
    const got = new Promise<amqp.ConsumeMessage>(
      (resolve) => void ch.consume(q.queue, (m) => m && resolve(m), { noAck: true }),
    );
    const r = await agent.api.publishOnsphere({
      target: 'stack',
      valueId: 'root.queued.flag',
      value: true,
    });
    expect(r.outcome).toBe('queued');
    expect(agent.context.queue.get(r.itemIds[0]!)?.state).toBe('queued');
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const msg = await got;
      expect(parseValueBody(msg.content)).toMatchObject({
        id: 'root.queued.flag',
        value: true,
        type: 'BOOLEAN',
      });
      // The message id is the item's: a re-send after a crash carries the same one (§4.4).
      expect(msg.properties.messageId).toBe(messageIdFor(r.itemIds[0]!, 0));
      for (let i = 0; i < 50 && agent.context.queue.get(r.itemIds[0]!)?.state !== 'delivered'; i++)
        await new Promise((res) => setTimeout(res, 100));
      expect(agent.context.queue.get(r.itemIds[0]!)?.state).toBe('delivered');
      // The daemon keeps the paired target's request consumer and metrics endpoint up.
      const rpc = await peer.createChannel();
      const reply = new Promise<amqp.ConsumeMessage>(
        (resolve) =>
          void rpc.consume('amq.rabbitmq.reply-to', (m) => m && resolve(m), { noAck: true }),
      );
      await new Promise((res) => setTimeout(res, 100));
      rpc.publish(EXCHANGES.requests, `request.${NAME}.ping`, Buffer.from('{"action":"ping"}'), {
        replyTo: 'amq.rabbitmq.reply-to',
        correlationId: 'daemon-ping',
        messageId: 'daemon-ping',
      });
      const pong = await reply;
      expect(pong.properties.correlationId).toBe('daemon-ping');
      expect(parseReply(pong.content)).toMatchObject({
        status: 'ok',
        result: { pong: true, module: NAME },
      });
      const status = await agent.api.getOnsphereStatus({ name: 'stack' });
      expect(status.session.state).toBe('ready');
      const metricsPort = (agent.context.targets.get('stack').config as { metricsPort: number })
        .metricsPort;
      expect(status.metrics).toEqual({ host: '127.0.0.1', port: metricsPort });
    } finally {
      stop.abort();
      await running;
      await ch.close();
    }
    await expect(
      agent.api.publishOnsphere({ target: 'stack', valueId: 'bad value', value: 1 }),
    ).rejects.toBeInstanceOf(AgentError);
  });

  it('outpost onsphere pair / publish --now / status from the command line', async () => {
    const files = await stack.files('cli', stack.connector);
    const dataDir = join(stack.dir, 'cli-data');
    const env = { DISPATCHER_HOST: '', DISPATCHER_PORT: '', PROMETHEUS_PORT: '' };
    const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir], env);
    const pair = await cli(
      'onsphere',
      'pair',
      'cli',
      '--dispatcher',
      `127.0.0.1:${stack.dispatcher.port}`,
      '--ca',
      files.ca,
      '--cert',
      files.dir,
      '--key',
      files.key,
      '--metrics-port',
      '0',
    );
    expect(pair.code, pair.stderr).toBe(0);
    expect(pair.stdout).toContain(`as connector ${NAME}`);
    expect(pair.stdout).toMatch(/module\.crt SHA-256: +([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(pair.stderr).toMatch(
      /✓ identity: CN osp-snmp-trap-remote-1[\s\S]*✓ dispatcher: config v\d[\s\S]*✓ broker: connected[\s\S]*✓ save/,
    );
    const unroutable = await cli(
      'onsphere',
      'publish',
      '--target',
      'cli',
      '--value-id',
      'root.cli.count',
      '--value',
      '7',
      '--now',
    );
    expect(unroutable.code).toBe(1);
    expect(unroutable.stderr).toMatch(/could not route 'root\.cli\.count' \(312 NO_ROUTE/);
    const ch = await (await stack.peerConnection()).createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, EXCHANGES.values, 'value.*.root.cli.#');
    const now = await cli(
      'onsphere',
      'publish',
      '--target',
      'cli',
      '--value-id',
      'root.cli.count',
      '--value',
      '7',
      '--now',
    );
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toContain('root.cli.count: confirmed by the broker');
    const got = await ch.get(q.queue, { noAck: true });
    expect(got && parseValueBody(got.content)).toMatchObject({
      id: 'root.cli.count',
      value: 7,
      type: 'INTEGER',
    });
    const status = await cli('onsphere', 'status', 'cli', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      target: 'cli',
      identity: { cn: NAME },
      config: { module: NAME, stale: false },
    });
    const bad = await cli(
      'onsphere',
      'publish',
      '--target',
      'cli',
      '--value-id',
      'not a path',
      '--value',
      '1',
      '--now',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/valueId 'not a path' must be a dotted OnSphere value path/);
    const missing = await cli(
      'onsphere',
      'pair',
      'x',
      '--ca',
      files.ca,
      '--cert',
      files.cert,
      '--key',
      files.key,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--dispatcher HOST\[:PORT\] is required/);
  });

  it('a target created by the installer seed (files stored, no config yet) pairs when the daemon runs', async () => {
    const seeded = await stack.openAgent('seeded');
    const files = await seeded.context.identity.saveCertificates('onsphere', {
      caPem: stack.ca.certPem,
      certPem: stack.connector.certPem,
      keyPem: stack.connector.keyPem,
    });
    seeded.context.targets.save('onsphere', 'onsphere', {
      host: '127.0.0.1',
      port: stack.dispatcher.port,
      caFile: files.caPath,
      certFile: files.certPath,
      keyFile: files.keyPath,
      metricsPort: 0,
    });
    const stop = new AbortController();
    const running = seeded.run(stop.signal);
    try {
      let status = await seeded.api.getOnsphereStatus({ name: 'onsphere' });
      for (let i = 0; i < 100 && status.session.state !== 'ready'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await seeded.api.getOnsphereStatus({ name: 'onsphere' });
      }
      expect(status.session.state).toBe('ready');
      expect(status.config).toMatchObject({ module: NAME, stale: false });
    } finally {
      stop.abort();
      await running;
    }
  });
});
