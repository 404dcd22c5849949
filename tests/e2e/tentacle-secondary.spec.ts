import { expect, test } from '@playwright/test';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { passwordDigest } from '../../main/core/protocols/tentacle/codec.ts';
import { TentacleServer } from '../peers/tentacle-server.ts';
import { makeTempDir } from '../peers/util.ts';
import { chromiumMissing, startOutpostUi, type OutpostUi } from './outpost-ui.ts';
import { expectAccessible, screenshot } from './shots.ts';

/**
 * A Tentacle target with a secondary server (issue #18) through the wizard and
 * its settings, against two reference servers (tests/peers/tentacle-server.ts).
 */
const skipReason = chromiumMissing();
test.skip(skipReason !== undefined, skipReason);

let primary: TentacleServer;
let secondary: TentacleServer;
let ui: OutpostUi;
let cleanup: () => Promise<void>;
let tempDir: string;

test.beforeAll(async () => {
  const temp = await makeTempDir('tentacle-secondary-e2e');
  cleanup = temp.cleanup;
  tempDir = temp.dir;
  primary = await TentacleServer.start({ dir: join(temp.dir, 'primary') });
  secondary = await TentacleServer.start({
    dir: join(temp.dir, 'secondary'),
    password: 'backup-secret',
  });
  ui = await startOutpostUi();
});
test.afterAll(async () => {
  await ui?.stop();
  await primary?.stop();
  await secondary?.stop();
  await cleanup?.();
});

test('the wizard saves a secondary server with its own password; settings, overview and the reopened wizard show it', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/pair/tentacle`);
  await page.getByLabel('Target name').fill('pandora-ha');
  await page.getByLabel('Tentacle server host name or address').fill('127.0.0.1');
  await page.getByLabel('Port').fill(String(primary.port));
  await page.getByRole('button', { name: 'Next' }).click();
  // The secondary server's TLS box is not shown yet: this is the primary's.
  await page.getByLabel('Use TLS').uncheck();

  // No secondary server until one is chosen.
  await expect(page.getByLabel('Secondary server host name or address')).toHaveCount(0);
  await page
    .getByLabel('When the secondary server gets data files')
    .selectOption({ label: 'Always: a copy of every file, queued on its own (always)' });
  await page.getByLabel('Secondary server host name or address').fill('127.0.0.1');
  await page.getByLabel('Secondary server port').fill(String(secondary.port));
  await page.getByLabel('Use TLS with the secondary server').uncheck();
  await page.getByLabel('Secondary server password').fill('backup-secret');
  await page.getByLabel("Send the secondary server's password without TLS").check();
  await screenshot(page, 'pair-tentacle-secondary');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Save and test' }).click();
  // Each server tested with its own settings: both answer.
  await expect(
    page.getByRole('heading', { name: 'Save and test Connection works', exact: true }),
  ).toBeVisible({ timeout: 30_000 });
  await expect(
    page.getByRole('heading', {
      name: `Secondary server 127.0.0.1:${secondary.port} (always) Connection works`,
    }),
  ).toBeVisible();
  // Its own password, on the server side.
  expect(secondary.connections.map((c) => c.clientBytes().toString())).toEqual([
    `PASS ${passwordDigest('backup-secret')}\nQUIT\n`,
  ]);

  // Saved: the secondary in settings, its password in the secret store under its own name.
  const [saved] = JSON.parse((await ui.cli('target', 'list', '--json')).stdout) as Array<{
    config: { secondary?: unknown };
  }>;
  expect(saved!.config.secondary).toEqual({
    host: '127.0.0.1',
    port: secondary.port,
    mode: 'always',
    tls: false,
    insecure: false,
    allowPlainPassword: true,
    zip: false,
  });
  expect(JSON.stringify(saved)).not.toContain('backup-secret');

  // The overview shows both destinations.
  await page.getByRole('button', { name: 'Go to the overview' }).click();
  await expect(
    page.getByText(
      `primary 127.0.0.1:${primary.port}: idle; secondary 127.0.0.1:${secondary.port} (always): idle`,
    ),
  ).toBeVisible();

  // A file queued to the target goes to both servers, one item each, counted on its card.
  const file = join(tempDir, 'agent.1700000100.data');
  await writeFile(file, '<agent_data/>');
  const sent = await ui.cli('send', '--target', 'pandora-ha', file);
  expect(sent.stdout).toMatch(/ pandora-ha .*\n.* pandora-ha\/secondary /);
  const card = page.locator('.target-card').filter({ hasText: 'pandora-ha' });
  await expect(card.getByLabel('Queue of this target')).toContainText(/2 delivered/i, {
    timeout: 30_000,
  });
  for (const server of [primary, secondary])
    expect(await readFile(join(server.options.dir, 'agent.1700000100.data'), 'utf8')).toBe(
      '<agent_data/>',
    );

  // Settings lists it, and its Edit link reopens the wizard with the secondary filled in.
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Settings' })
    .click();
  const row = page.getByRole('row', { name: /pandora-ha/ });
  await expect(row).toContainText(`127.0.0.1:${secondary.port} (always)`);
  await row.getByRole('link', { name: 'Edit' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByLabel('When the secondary server gets data files')).toHaveValue('always');
  await expect(page.getByLabel('Secondary server host name or address')).toHaveValue('127.0.0.1');
  await expect(page.getByLabel('Secondary server port')).toHaveValue(String(secondary.port));

  // Choosing "never" and saving removes the secondary server.
  await page
    .getByLabel('When the secondary server gets data files')
    .selectOption({ label: 'Never: no secondary server' });
  await page.getByRole('button', { name: 'Save and test' }).click();
  await expect(page.getByText('Connection works')).toBeVisible({ timeout: 30_000 });
  const [after] = JSON.parse((await ui.cli('target', 'list', '--json')).stdout) as Array<{
    config: { secondary?: unknown };
  }>;
  expect(after!.config.secondary).toBeUndefined();
});

test('the secondary server section is translated into French and German', async ({ page }) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
  for (const [languageLabel, language, heading, next, legend, mode, never] of [
    [
      'Language',
      'fr',
      'Paramètres',
      'Suivant',
      'Serveur secondaire (facultatif)',
      'Quand le serveur secondaire reçoit les fichiers de données',
      'Jamais : pas de serveur secondaire',
    ],
    [
      'Langue',
      'de',
      'Einstellungen',
      'Weiter',
      'Sekundärer Server (optional)',
      'Wann der sekundäre Server Datendateien erhält',
      'Nie: kein sekundärer Server',
    ],
  ] as const) {
    await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
    await page.getByLabel(languageLabel).selectOption(language);
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    await page.goto(`http://127.0.0.1:${ui.port}/#/pair/tentacle`);
    await page.locator('form input').nth(1).fill('127.0.0.1');
    await page.getByRole('button', { name: next }).click();
    await expect(page.getByRole('group', { name: legend })).toBeVisible();
    await expect(page.getByLabel(mode).locator('option:checked')).toHaveText(never);
  }
  await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
  await page.getByLabel('Sprache').selectOption('en');
});
