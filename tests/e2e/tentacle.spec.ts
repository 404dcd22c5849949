import { expect, test } from '@playwright/test';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestCa } from '../peers/pki.ts';
import { TentacleServer } from '../peers/tentacle-server.ts';
import { makeTempDir } from '../peers/util.ts';
import { chromiumMissing, startOutpostUi, type OutpostUi } from './outpost-ui.ts';
import { expectAccessible, screenshot } from './shots.ts';

/** Tentacle pairing through the wizard against the reference server (tests/peers/tentacle-server.ts), over TLS. */
const skipReason = chromiumMissing();
test.skip(skipReason !== undefined, skipReason);

const PASSWORD = 'wizard-secret-7';
let server: TentacleServer;
let ui: OutpostUi;
let caFile: string;
let serverFingerprint: string;
let cleanup: () => Promise<void>;

test.beforeAll(async () => {
  const temp = await makeTempDir('tentacle-e2e');
  cleanup = temp.cleanup;
  const ca = TestCa.create('Tentacle E2E CA');
  const leaf = ca.issue({
    cn: 'pandora.test',
    altNames: ['127.0.0.1', 'localhost'],
    serverAuth: true,
  });
  caFile = join(temp.dir, 'ca.crt');
  await writeFile(caFile, ca.certPem);
  serverFingerprint = new X509Certificate(leaf.certPem).fingerprint256;
  server = await TentacleServer.start({
    dir: join(temp.dir, 'incoming'),
    password: PASSWORD,
    tls: { certPem: leaf.certPem, keyPem: leaf.keyPem },
  });
  ui = await startOutpostUi();
});
test.afterAll(async () => {
  await ui?.stop();
  await server?.stop();
  await cleanup?.();
});

test('pairs with a Tentacle server over verified TLS with a password; the server flags and fingerprint are shown', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/pair/tentacle`);
  await page.getByLabel('Target name').fill('pandora-e2e');
  await page.getByLabel('Tentacle server host name or address').fill('127.0.0.1');
  await page.getByLabel('Port').fill(String(server.port));
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByLabel('CA certificate file (PEM)').fill(caFile);
  await page.getByLabel('The server requires a password (-x)').check();
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  // The server panel follows the choices: TLS and password flags.
  await expect(
    page.getByText(
      /tentacle_server -s \/var\/spool\/pandora\/data_in -p \d+ -e \/etc\/tentacle\/server\.crt -k \/etc\/tentacle\/server\.key -x '<password>'/,
    ),
  ).toBeVisible();
  await screenshot(page, 'pair-tentacle-security');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Save and test' }).click();

  await expect(page.getByText('Connection works')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('presented-fingerprint')).toHaveText(serverFingerprint);
  await screenshot(page, 'pair-tentacle-tested');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Go to the overview' }).click();
  await expect(page.getByTestId('target-name')).toHaveText('pandora-e2e');

  // Settings lists the target's outbox folder (none here) with a link back to its settings.
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Settings' })
    .click();
  await expect(page.getByRole('row', { name: /pandora-e2e no outbox folder/ })).toBeVisible();

  // The password went to the secret store, not to settings.json.
  const { stdout } = await ui.cli('target', 'list', '--json');
  expect(stdout).not.toContain(PASSWORD);
  expect(JSON.parse(stdout)).toEqual([
    expect.objectContaining({ name: 'pandora-e2e', kind: 'tentacle' }),
  ]);
});

test('a password over plain TCP is refused next to the password field; cancelling removes nothing that existed', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/pair/tentacle`);
  await page.getByLabel('Target name').fill('plain-e2e');
  await page.getByLabel('Tentacle server host name or address').fill('127.0.0.1');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Use TLS').uncheck();
  await page.getByLabel('The server requires a password (-x)').check();
  await page.getByLabel('Password', { exact: true }).fill('x');
  await page.getByRole('button', { name: 'Save and test' }).click();
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute(
    'aria-invalid',
    'true',
  );
  await expect(
    page.getByText(/refusing to send the Tentacle password over plain TCP/),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  const names = (
    JSON.parse((await ui.cli('target', 'list', '--json')).stdout) as Array<{ name: string }>
  ).map((t) => t.name);
  expect(names).not.toContain('plain-e2e');
});
