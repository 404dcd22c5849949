/**
 * Issue #7 bench: values per second through our publisher (confirms, window
 * of 1 000, onsphere.md §4.6) and through the durable queue end to end,
 * against raw windowed amqplib publishing of the same messages, same broker,
 * same run (target ≥ 90 % of raw).
 */
import amqp from 'amqplib';
import { OnsphereConnector } from '../../main/core/protocols/onsphere/connector.ts';
import { encodeValue, messageIdFor } from '../../main/core/protocols/onsphere/codec.ts';
import { DEFAULT_PUBLISH_WINDOW } from '../../main/core/protocols/onsphere/session.ts';
import {
  EXCHANGES,
  NAME,
  startStack,
  VHOST,
  type Stack,
} from '../core/protocols/onsphere/fixture.ts';
import { rabbitmqMissing } from '../peers/rabbitmq.ts';
import type { BenchContext } from './harness.ts';

const N = 20_000;
const OUTBOX_N = 3_000;
const ROUNDS = 5;

/** Raw amqplib: a confirm channel, up to `window` unconfirmed, same messages as ours. */
async function rawRate(stack: Stack, n: number): Promise<number> {
  const conn = await amqp.connect(`${stack.broker.url}/${VHOST}?heartbeat=30`, {
    credentials: amqp.credentials.external(),
    ca: stack.ca.certPem,
    cert: stack.connector.certPem,
    key: stack.connector.keyPem,
    servername: 'localhost',
  });
  const ch = await conn.createConfirmChannel();
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let confirmed = 0;
    let waitingDrain = false;
    const pump = (): void => {
      while (sent < n && sent - confirmed < DEFAULT_PUBLISH_WINDOW && !waitingDrain) {
        const m = encodeValue(
          { valueId: `bench.raw.v${sent % 100}`, value: sent, timestamp: Date.now() },
          {
            module: NAME,
            exchange: EXCHANGES.values,
            seq: sent,
            messageId: messageIdFor('raw', sent),
          },
        );
        const { mandatory, ...props } = m.properties;
        sent += 1;
        const ok = ch.publish(
          m.exchange,
          m.routingKey,
          m.content,
          { ...props, mandatory },
          (err: unknown) => {
            if (err) return reject(err as Error);
            confirmed += 1;
            if (confirmed === n) resolve();
            else pump();
          },
        );
        if (!ok) {
          waitingDrain = true;
          ch.once('drain', () => {
            waitingDrain = false;
            pump();
          });
        }
      }
    };
    pump();
  });
  const rate = n / ((performance.now() - start) / 1000);
  await conn.close();
  return rate;
}

/** Ours, fed the way the queue's scheduler feeds a driver: at most `window` values handed over at once. */
async function oursRate(connector: OnsphereConnector, n: number, round: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await connector.publishValue(
        { valueId: `bench.ours.v${i % 100}`, value: i, timestamp: Date.now() },
        { messageId: messageIdFor(`ours-${round}`, i) },
      );
    }
  };
  await Promise.all(Array.from({ length: DEFAULT_PUBLISH_WINDOW }, lane));
  return n / ((performance.now() - start) / 1000);
}

export default async function onsphereBench(ctx: BenchContext): Promise<void> {
  const missing = rabbitmqMissing();
  if (missing !== undefined) {
    ctx.log(`onsphere bench skipped: ${missing}`);
    return;
  }
  const stack = await startStack('bench');
  try {
    // A module of the stack consuming every value, so each publish is really routed.
    const peer = await stack.peerConnection();
    const sink = await peer.createChannel();
    const q = await sink.assertQueue('', { exclusive: true });
    await sink.bindQueue(q.queue, EXCHANGES.values, 'value.#');
    await sink.consume(q.queue, () => undefined, { noAck: true });

    const agent = await stack.openAgent('bench');
    const files = await stack.files('bench', stack.connector);
    await agent.api.pairOnsphere({
      name: 'stack',
      dispatcher: { host: '127.0.0.1', port: stack.dispatcher.port },
      caFile: files.ca,
      certFile: files.cert,
      keyFile: files.key,
      metricsPort: 0,
    });

    const connector = new OnsphereConnector(agent.context, agent.context.targets.get('stack'));
    await connector.start();
    await connector.session!.ready(20_000);
    await rawRate(stack, 2_000);
    await oursRate(connector, 2_000, -1);
    const raw: number[] = [];
    const ours: number[] = [];
    // CPU time per value is less sensitive than wall time to other load on a shared machine.
    const cpu = { raw: 0, ours: 0 };
    const timed = async <T>(key: 'raw' | 'ours', fn: () => Promise<T>): Promise<T> => {
      const before = process.cpuUsage();
      const out = await fn();
      const used = process.cpuUsage(before);
      cpu[key] += used.user + used.system;
      return out;
    };
    // Alternate who goes first: the broker may still be routing the previous run's tail to the sink.
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        raw.push(await timed('raw', () => rawRate(stack, N)));
        ours.push(await timed('ours', () => oursRate(connector, N, r)));
      } else {
        ours.push(await timed('ours', () => oursRate(connector, N, r)));
        raw.push(await timed('raw', () => rawRate(stack, N)));
      }
    }
    await connector.stop();
    const median = (xs: number[]): number =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rawMedian = median(raw);
    const oursMedian = median(ours);
    ctx.log(
      `CPU per value in this process: ours ${(cpu.ours / (N * ROUNDS)).toFixed(1)} µs, raw ${(cpu.raw / (N * ROUNDS)).toFixed(1)} µs`,
    );
    ctx.log(
      `raw ${raw.map((x) => x.toFixed(0)).join(', ')} msg/s; ours ${ours.map((x) => x.toFixed(0)).join(', ')} msg/s`,
    );
    ctx.row({
      metric: `OnSphere values with confirms (window ${DEFAULT_PUBLISH_WINDOW}, ${N} values)`,
      ours: Math.round(oursMedian),
      unit: 'values/s',
      baseline: Math.round(rawMedian),
      baselineLabel: 'raw windowed amqplib',
      higherIsBetter: true,
      target: '>= 0.90 of raw',
      met: oursMedian >= 0.9 * rawMedian,
    });

    // Through the durable queue: the values are enqueued first (each fsync'd), then `run` delivers them.
    const enqueueStart = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < OUTBOX_N; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, OUTBOX_N - i) }, (_, j) =>
          agent.context.queue.enqueue({
            kind: 'value',
            targets: ['stack'],
            value: {
              valueId: `bench.outbox.v${(i + j) % 100}`,
              value: i + j,
              timestamp: Date.now(),
            },
          }),
        ),
      );
      for (const items of batch) ids.push(items[0]!.id);
    }
    const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
    const stop = new AbortController();
    const start = performance.now();
    const running = agent.run(stop.signal);
    while (ids.some((id) => agent.context.queue.get(id)?.state !== 'delivered'))
      await new Promise((r) => setTimeout(r, 20));
    const outboxRate = OUTBOX_N / ((performance.now() - start) / 1000);
    stop.abort();
    await running;
    ctx.log(
      `outbox: ${OUTBOX_N} durable enqueues took ${enqueueSeconds.toFixed(2)} s (${(OUTBOX_N / enqueueSeconds).toFixed(0)}/s, the queue's fsync per item)`,
    );
    ctx.row({
      metric: `OnSphere values delivered from the durable queue (${OUTBOX_N}, incl. connect)`,
      ours: Math.round(outboxRate),
      unit: 'values/s',
      baseline: Math.round(rawMedian),
      baselineLabel: 'raw windowed amqplib',
      higherIsBetter: true,
      target: 'informative',
    });
  } finally {
    await stack.cleanup();
  }
}
