/**
 * onsphere.md §4.6/§4.7 against a real broker: a value stream survives a
 * broker restart and a frozen broker (SIGSTOP) with nothing lost; the
 * duplicates the re-sends cause are counted (receivers dedupe on message_id).
 */
import type amqp from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Agent } from '../../../../main/core/agent.ts';
import { OnsphereConnector } from '../../../../main/core/protocols/onsphere/connector.ts';
import { sleep } from '../../../peers/util.ts';
import { brokerSuite, EXCHANGES, startStack, type Stack } from './fixture.ts';

let stack: Stack;
let agent: Agent;
const HEARTBEAT_S = 2;

/** A module of the stack keeping every value in a durable queue, read after the stream. */
async function durableConsumerQueue(name: string): Promise<void> {
  const ch = await (await stack.peerConnection()).createChannel();
  await ch.assertQueue(name, { durable: true });
  await ch.bindQueue(name, EXCHANGES.values, `value.*.${name}.#`);
  await ch.close();
}

async function drain(name: string, expected: number): Promise<string[]> {
  const conn = await stack.peerConnection();
  const ch = await conn.createChannel();
  const ids: string[] = [];
  await ch.consume(
    name,
    (m: amqp.ConsumeMessage | null) => m && ids.push(String(m.properties.messageId)),
    { noAck: true },
  );
  for (let i = 0; i < 100; i++) {
    const before = ids.length;
    await sleep(200);
    if (ids.length >= expected && ids.length === before) break;
  }
  await conn.close();
  return ids;
}

/** Publishes `count` values at about `perTick` every 20 ms, while `disturb` runs; resolves when all are confirmed. */
async function stream(
  connector: OnsphereConnector,
  prefix: string,
  count: number,
  disturb: () => Promise<void>,
): Promise<void> {
  const confirmations: Array<Promise<unknown>> = [];
  let disturbance: Promise<void> | undefined;
  for (let i = 0; i < count; i++) {
    confirmations.push(
      connector.publishValue({ valueId: `${prefix}.v${i % 50}`, value: i, timestamp: Date.now() }),
    );
    if (i % 40 === 39) await sleep(20);
    if (i === Math.floor(count / 4)) disturbance = disturb();
  }
  await disturbance;
  const outcomes = await Promise.all(confirmations);
  expect(outcomes.every((o) => o === 'confirmed')).toBe(true);
}

brokerSuite()('OnSphere value stream across broker failures', () => {
  beforeAll(async () => {
    stack = await startStack('resilience', { heartbeatSeconds: HEARTBEAT_S });
    agent = await stack.openAgent('resilience');
    const files = await stack.files('good', stack.connector);
    await agent.api.pairOnsphere({
      name: 'stack',
      dispatcher: { host: '127.0.0.1', port: stack.dispatcher.port },
      caFile: files.ca,
      certFile: files.cert,
      keyFile: files.key,
    });
  });
  afterAll(async () => stack?.cleanup());

  it('loses nothing when the broker restarts mid-stream; duplicates are counted', async () => {
    await durableConsumerQueue('restart');
    const connector = new OnsphereConnector(agent.context, agent.context.targets.get('stack'));
    await connector.start();
    const N = 3000;
    try {
      await connector.session!.ready(20_000);
      await stream(connector, 'restart', N, () => stack.broker.restart());
      const ids = await drain('restart', N);
      const unique = new Set(ids);
      const duplicates = ids.length - unique.size;
      const resent = (await connector.metrics.resent.get()).values[0]?.value ?? 0;
      const reconnects = (await connector.metrics.reconnects.get()).values.reduce(
        (a, v) => a + v.value,
        0,
      );
      console.log(
        `broker restart: ${N} values, ${unique.size} unique received, ${duplicates} duplicates, ${resent} re-sent, ${reconnects} reconnect failures`,
      );
      expect(unique.size).toBe(N);
      expect(duplicates).toBeLessThanOrEqual(resent);
      expect(reconnects).toBeGreaterThan(0);
      expect((await connector.metrics.confirmed.get()).values[0]?.value).toBe(N);
    } finally {
      await connector.stop();
    }
  });

  it('loses nothing when the broker freezes (SIGSTOP) mid-stream: the heartbeat notices, the session comes back after SIGCONT', async () => {
    await durableConsumerQueue('freeze');
    const connector = new OnsphereConnector(agent.context, agent.context.targets.get('stack'));
    await connector.start();
    const N = 2000;
    const states: string[] = [];
    const off = agent.events.on('target.state', (e) => states.push(e.status.state));
    try {
      await connector.session!.ready(20_000);
      await stream(connector, 'freeze', N, async () => {
        stack.broker.freeze();
        await sleep(HEARTBEAT_S * 4 * 1000);
        stack.broker.thaw();
      });
      const ids = await drain('freeze', N);
      const unique = new Set(ids);
      console.log(
        `frozen broker: ${N} values, ${unique.size} unique received, ${ids.length - unique.size} duplicates`,
      );
      expect(unique.size).toBe(N);
      // The frozen peer was noticed (heartbeat in the URL, §6) rather than waited on forever.
      expect(states).toContain('retrying');
    } finally {
      off();
      stack.broker.thaw();
      await connector.stop();
    }
  });

  it('holds publishes while the broker blocks publishers (memory alarm) and sends them on unblock', async () => {
    await durableConsumerQueue('blocked');
    const connector = new OnsphereConnector(agent.context, agent.context.targets.get('stack'));
    await connector.start();
    try {
      await connector.session!.ready(20_000);
      await stack.broker.ctl(['set_vm_memory_high_watermark', 'absolute', '1']);
      const pending = Array.from({ length: 50 }, (_, i) =>
        connector.publishValue({ valueId: `blocked.v${i}`, value: i, timestamp: Date.now() }),
      );
      let settled = false;
      void Promise.all(pending).then(() => (settled = true));
      for (let i = 0; i < 50 && connector.session!.detail === undefined; i++) await sleep(100);
      expect(connector.session!.detail).toMatch(/broker is blocking publishers/);
      expect(settled).toBe(false);
      await stack.broker.ctl(['set_vm_memory_high_watermark', '0.4']);
      expect((await Promise.all(pending)).every((o) => o === 'confirmed')).toBe(true);
      expect(new Set(await drain('blocked', 50)).size).toBe(50);
    } finally {
      await stack.broker.ctl(['set_vm_memory_high_watermark', '0.4']).catch(() => undefined);
      await connector.stop();
    }
  });
});
