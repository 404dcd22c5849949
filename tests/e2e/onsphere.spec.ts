import { expect, test } from '@playwright/test';
import amqp from 'amqplib';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectorPermissions } from '../../main/core/protocols/onsphere/codec.ts';
import { ReferenceDispatcher } from '../peers/onsphere-dispatcher.ts';
import { TestCa } from '../peers/pki.ts';
import { RabbitBroker, rabbitmqMissing } from '../peers/rabbitmq.ts';
import { makeTempDir } from '../peers/util.ts';
import { chromiumMissing, startOutpostUi, type OutpostUi } from './outpost-ui.ts';
import { expectAccessible, screenshot } from './shots.ts';

/**
 * OnSphere through the UI: the three files and the dispatcher in the wizard
 * (real RabbitMQ with TLS + EXTERNAL, reference dispatcher), then a value
 * typed in the Queue page's value form that a stack module receives.
 */
function missing(): string | undefined {
  const r = rabbitmqMissing();
  if (r !== undefined && process.env.CI !== undefined && process.env.CI !== '')
    throw new Error(`${r}: required under CI`);
  return r;
}
const skipReason = chromiumMissing() ?? missing();
test.skip(skipReason !== undefined, skipReason);

const NAME = 'osp-outpost-e2e';
const VHOST = 'onsphere';
const EXCHANGES = { values: 'osp.values', requests: 'osp.requests', config: 'osp.config' };

let broker: RabbitBroker;
let dispatcher: ReferenceDispatcher;
let ui: OutpostUi;
let files: { ca: string; cert: string; key: string };
let peer: amqp.ChannelModel;
let cleanup: () => Promise<void>;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const temp = await makeTempDir('onsphere-e2e');
  cleanup = temp.cleanup;
  const ca = TestCa.create('OnSphere E2E CA');
  const connector = ca.issue({ cn: NAME, serverAuth: false });
  const module = ca.issue({ cn: 'peer', serverAuth: false });
  [broker, ui] = await Promise.all([
    RabbitBroker.start({
      ca,
      vhosts: [VHOST],
      users: [
        { name: NAME, permissions: [{ vhost: VHOST, ...connectorPermissions(NAME) }] },
        {
          name: 'peer',
          tags: ['administrator'],
          permissions: [{ vhost: VHOST, configure: '.*', write: '.*', read: '.*' }],
        },
      ],
      exchanges: Object.values(EXCHANGES).map((name) => ({
        vhost: VHOST,
        name,
        type: 'topic' as const,
      })),
    }),
    startOutpostUi(),
  ]);
  dispatcher = await ReferenceDispatcher.start({
    ca,
    notifier: { url: `${broker.url}/${VHOST}`, identity: module },
  });
  dispatcher.setConnector({
    name: NAME,
    kind: 'osp-snmp-trap',
    remote: true,
    certPem: connector.certPem,
    version: 'v1',
    body: {
      amqp: {
        hosts: [{ host: '127.0.0.1', port: broker.port }],
        vhost: VHOST,
        serverName: 'localhost',
        heartbeatSeconds: 30,
        exchanges: EXCHANGES,
        requestQueue: `osp.connector.${NAME}.requests`,
        prefetch: 100,
      },
    },
  });
  const dir = join(temp.dir, 'files');
  await mkdir(dir);
  files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'module.crt'), key: join(dir, 'module.key') };
  await writeFile(files.ca, ca.certPem);
  await writeFile(files.cert, connector.certPem);
  await writeFile(files.key, connector.keyPem, { mode: 0o600 });
  peer = await amqp.connect(`${broker.url}/${VHOST}?heartbeat=5`, {
    credentials: amqp.credentials.external(),
    ca: ca.certPem,
    cert: module.certPem,
    key: module.keyPem,
    servername: 'localhost',
  });
  peer.on('error', () => undefined);
});
test.afterAll(async () => {
  await peer?.close().catch(() => undefined);
  await ui?.stop();
  await dispatcher?.stop().catch(() => undefined);
  await broker?.stop();
  await cleanup?.();
});

test('pairs with OnSphere through the wizard, then a value from the form reaches a stack module', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/pair/onsphere`);
  await page.getByLabel('Target name').fill('stack');
  await page.getByLabel('ca.crt (path)').fill(files.ca);
  await page.getByLabel('module.crt (path)').fill(files.cert);
  await page.getByLabel('module.key (path)').fill(files.key);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Dispatcher host (DISPATCHER_HOST)').fill('127.0.0.1');
  await page.getByLabel('Dispatcher port (DISPATCHER_PORT)').fill(String(dispatcher.port));
  await page.getByRole('button', { name: 'Import and connect' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Connected/ })).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.getByText(NAME, { exact: true })).toBeVisible();
  await screenshot(page, 'pair-onsphere-done');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Go to the overview' }).click();
  await page.getByRole('link', { name: 'Pairing settings' }).click();
  await expect(page.getByRole('heading', { name: 'OnSphere target stack' })).toBeVisible();
  await expect(page.getByText('v1', { exact: true })).toBeVisible();

  const ch = await peer.createChannel();
  const q = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(q.queue, EXCHANGES.values, 'value.*.root.e2e.#');
  const got = new Promise<amqp.ConsumeMessage>(
    (resolve) => void ch.consume(q.queue, (m) => m && resolve(m), { noAck: true }),
  );

  await page.goto(`http://127.0.0.1:${ui.port}/#/queue`);
  const form = page
    .locator('form')
    .filter({ has: page.getByRole('button', { name: 'Queue the value' }) });
  await form.getByLabel('Value id').fill('root.e2e.ups.temp');
  await form.getByLabel('Value', { exact: true }).fill('21.5');
  await form.getByRole('button', { name: 'Queue the value' }).click();
  await expect(form.getByText('Queued for 1 target(s).')).toBeVisible();
  const msg = await got;
  expect(msg.fields.routingKey).toBe(`value.${NAME}.root.e2e.ups.temp`);
  expect(msg.content.toString()).toContain('21.5');
  await expect(
    page.getByTestId('queue-item').filter({ hasText: 'root.e2e.ups.temp' }),
  ).toHaveAttribute('data-state', 'delivered', {
    timeout: 30_000,
  });
  await ch.close();
});
