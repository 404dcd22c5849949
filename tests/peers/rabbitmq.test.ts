import amqp from 'amqplib';
import { existsSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCa } from './pki.ts';
import { RabbitBroker, rabbitmqMissing } from './rabbitmq.ts';

const missing = rabbitmqMissing();
if (missing !== undefined && process.env.CI === undefined)
  console.warn(`skipping RabbitMQ peer tests: ${missing}`);
const suite = missing !== undefined && process.env.CI === undefined ? describe.skip : describe;

suite('RabbitMQ test peer', () => {
  const ca = TestCa.create('RabbitMQ peer test CA');
  const client = ca.issue({ cn: 'smoke', serverAuth: false });
  let broker: RabbitBroker;
  let dir: string;

  beforeAll(async () => {
    broker = await RabbitBroker.start({
      ca,
      vhosts: ['smoke'],
      users: [
        {
          name: 'smoke',
          permissions: [{ vhost: 'smoke', configure: '.*', write: '.*', read: '.*' }],
        },
      ],
    });
    dir = broker.dir;
  });

  afterAll(async () => {
    await broker?.stop();
    // No state left behind: the temp dir (mnesia, logs, cookie) is gone.
    if (dir !== undefined) expect(existsSync(dir)).toBe(false);
  });

  it('accepts a TLS handshake with a client certificate from the test CA', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: broker.port,
      ca: ca.certPem,
      cert: client.certPem,
      key: client.keyPem,
      servername: 'localhost',
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    expect(socket.authorized).toBe(true);
    expect(['TLSv1.3', 'TLSv1.2']).toContain(socket.getProtocol());
    expect(socket.getPeerCertificate().subject.CN).toBe('localhost');
    socket.destroy();
  });

  it('logs in with EXTERNAL by certificate CN and round-trips a message', async () => {
    const conn = await amqp.connect(`${broker.url}/smoke?heartbeat=5`, {
      credentials: amqp.credentials.external(),
      ca: ca.certPem,
      cert: client.certPem,
      key: client.keyPem,
      servername: 'localhost',
    });
    const ch = await conn.createConfirmChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    await new Promise<void>((resolve, reject) =>
      ch.sendToQueue(q.queue, Buffer.from('hello'), {}, (err: unknown) =>
        err ? reject(err as Error) : resolve(),
      ),
    );
    const got = await ch.get(q.queue, { noAck: true });
    expect(got && got.content.toString()).toBe('hello');
    await conn.close();
  });

  it('refuses a client without a certificate', async () => {
    await expect(
      amqp.connect(`${broker.url}/smoke`, {
        credentials: amqp.credentials.external(),
        ca: ca.certPem,
        servername: 'localhost',
      }),
    ).rejects.toThrow(/certificate required|handshake failure/i);
  });

  it('lists the node through rabbitmqctl without touching the system node', async () => {
    const out = await broker.ctl(['list_vhosts', '--quiet']);
    expect(out.split('\n')).toContain('smoke');
  });
});
