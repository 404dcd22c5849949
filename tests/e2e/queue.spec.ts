import { expect, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { icingaMissing, IcingaMaster } from '../peers/icinga2.ts';
import { TentacleServer } from '../peers/tentacle-server.ts';
import { makeTempDir } from '../peers/util.ts';
import { chromiumMissing, startOutpostUi, type OutpostUi } from './outpost-ui.ts';
import { expectAccessible, screenshot } from './shots.ts';

/**
 * The queue page against real peers: a file watched to "delivered" on the
 * reference Tentacle server, and a check result typed in the form that
 * reaches a real Icinga 2 master.
 */
const skipReason = chromiumMissing() ?? icingaMissing();
test.skip(skipReason !== undefined, skipReason);

const CN = 'ws-queue.example';
let master: IcingaMaster;
let tentacle: TentacleServer;
let ui: OutpostUi;
let files: string;
let cleanup: () => Promise<void>;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const temp = await makeTempDir('queue-e2e');
  cleanup = temp.cleanup;
  files = temp.dir;
  [master, tentacle] = await Promise.all([
    IcingaMaster.start({ agents: [{ cn: CN, services: ['disk'] }] }),
    TentacleServer.start({ dir: join(temp.dir, 'incoming') }),
  ]);
  const ticket = await master.ticket(CN);
  ui = await startOutpostUi(async (cli) => {
    await cli(
      'icinga',
      'pair',
      'icinga',
      '--master',
      `127.0.0.1:${master.port}`,
      '--cn',
      CN,
      '--ticket',
      ticket,
      '--trust-fingerprint',
      master.fingerprint,
    );
    await cli('tentacle', 'add', 'pandora', '-a', '127.0.0.1', '-p', String(tentacle.port));
  });
});
test.afterAll(async () => {
  await ui?.stop();
  await Promise.all([master?.stop(), tentacle?.stop()]);
  await cleanup?.();
});

test('a file queued to the Tentacle server is watched to "delivered" and arrives intact', async ({
  page,
}) => {
  const content = randomBytes(1_500_000);
  const path = join(files, 'report-2026.bin');
  await writeFile(path, content);
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/queue`);
  await page.getByLabel('File path').fill(path);
  await page.getByRole('button', { name: 'Queue the file' }).click();
  await expect(page.getByText('Queued for 1 target(s).')).toBeVisible();
  const item = page.getByTestId('queue-item').filter({ hasText: 'report-2026.bin' });
  await expect(item).toHaveAttribute('data-state', 'delivered', { timeout: 30_000 });
  await expect(item.getByText('Delivered', { exact: true })).toBeVisible();
  expect(Buffer.compare(await readFile(join(files, 'incoming', 'report-2026.bin')), content)).toBe(
    0,
  );
  await screenshot(page, 'queue-delivered');
  await expectAccessible(page);
});

test('a file dropped on the drop zone (file manager uri-list) is queued and delivered', async ({
  page,
}) => {
  const path = join(files, 'dropped data.txt');
  await writeFile(path, 'dropped\n');
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/queue`);
  const uri = pathToFileURL(path).href;
  const transfer = await page.evaluateHandle((u) => {
    const dt = new DataTransfer();
    dt.setData('text/uri-list', u);
    return dt;
  }, uri);
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
  await expect(page.getByText('Queued for 1 target(s).')).toBeVisible();
  await expect(
    page.getByTestId('queue-item').filter({ hasText: 'dropped data.txt' }),
  ).toHaveAttribute('data-state', 'delivered', {
    timeout: 30_000,
  });
  expect(await readFile(join(files, 'incoming', 'dropped data.txt'), 'utf8')).toBe('dropped\n');
});

test('a check result typed in the form reaches the Icinga master', async ({ page }) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/queue`);
  const form = page
    .locator('form')
    .filter({ has: page.getByRole('button', { name: 'Queue the result' }) });
  await form.getByLabel('Host').fill(CN);
  await form.getByLabel('Service').fill('disk');
  await form.getByLabel('State').selectOption('1');
  await form.getByLabel('Output').fill('DISK WARNING - 91% used on /');
  await form.getByLabel('Performance data (one per line)').fill("'/'=91%;80;90;0;100");
  await form.getByRole('button', { name: 'Queue the result' }).click();
  await expect(form.getByText('Queued for 1 target(s).')).toBeVisible();
  await expect(
    page
      .getByTestId('queue-item')
      .filter({ hasText: `${CN} / disk` })
      .first(),
  ).toHaveAttribute('data-state', 'delivered', {
    timeout: 60_000,
  });
  await expect
    .poll(async () => (await master.lastCheckResult(CN, 'disk'))?.output, { timeout: 30_000 })
    .toBe('DISK WARNING - 91% used on /');
  const result = await master.lastCheckResult(CN, 'disk');
  expect(result?.state).toBe(1);
  await screenshot(page, 'queue-check-result');
  await expectAccessible(page);

  // The overview counts what each target delivered.
  await page.goto(`http://127.0.0.1:${ui.port}/#/overview`);
  const icingaCard = page.locator('.target-card').filter({ hasText: 'icinga' });
  await expect(icingaCard.getByLabel('Queue of this target')).toContainText('1 Delivered');
  await screenshot(page, 'overview-paired');
  await expectAccessible(page);
});

test('an invalid check result shows the field the core rejected', async ({ page }) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/queue`);
  const form = page
    .locator('form')
    .filter({ has: page.getByRole('button', { name: 'Queue the result' }) });
  await form.getByLabel('Output').fill('no host given');
  await form.getByRole('button', { name: 'Queue the result' }).click();
  await expect(form.getByLabel('Host')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText('host must not be empty')).toBeVisible();
});
