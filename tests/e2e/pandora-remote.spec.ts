import { expect, test } from '@playwright/test';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confKey, md5Hex } from '../../main/core/protocols/pandora/conf-key.ts';
import type { TentacleServer } from '../peers/tentacle-server.ts';
import { remoteConf, startPandoraTentacle } from '../core/protocols/pandora/remote-fixtures.ts';
import { chromiumMissing, startOutpostUi, type OutpostUi } from './outpost-ui.ts';
import { expectAccessible, screenshot } from './shots.ts';

/**
 * Issue #18 part 3 in the UI: a Pandora agent with remote_config 1, imported by
 * pasting its conf, is shown "managed by the Pandora server"; a console edit
 * reaches `outpost ui`'s daemon and the page shows the last change, in English,
 * French and German.
 */
const skipReason = chromiumMissing();
test.skip(skipReason !== undefined, skipReason);

const AGENT_NAME = 'ws-remote-e2e';
const KEY = confKey(AGENT_NAME);

function conf(port: number, modules: string[]): string {
  return remoteConf({ port, agentName: AGENT_NAME, interval: 2, modules });
}

let ui: OutpostUi;
let server: TentacleServer;
let root: string;
test.beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'outpost-e2e-pandora-'));
  server = await startPandoraTentacle(root);
  ui = await startOutpostUi();
});
test.afterAll(async () => {
  await ui?.stop();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

test('a remotely configured Pandora agent shows "managed by the Pandora server" with its last change, in three languages', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/checks`);
  await page.getByRole('button', { name: 'Import…' }).click();
  const original = conf(server.port, ['before']);
  await page.getByLabel('Content').fill(original);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('import-report')).toContainText('managed by the Pandora server');

  const agents = page.getByTestId('pandora-agents');
  await expect(agents).toContainText('managed by the Pandora server');
  await expect(agents).toContainText('imported: 1 module added');
  await expect(agents).toContainText(`${KEY}.conf`);

  // `outpost ui` runs the daemon: first contact uploads the conf to the server.
  const dataIn = join(root, 'data_in');
  await expect
    .poll(() => readFile(join(dataIn, 'md5', `${KEY}.md5`), 'utf8').catch(() => ''), {
      timeout: 30_000,
    })
    .toBe(md5Hex(original));

  // The console's edit (conf, then md5) reaches the page live.
  const edited = conf(server.port, ['after']);
  await writeFile(join(dataIn, 'conf', `${KEY}.conf`), edited);
  await writeFile(join(dataIn, 'md5', `${KEY}.md5`), md5Hex(edited));
  const change = 'configuration changed by the Pandora server: 1 module added, 1 removed';
  await expect(page.getByRole('status').filter({ hasText: change })).toBeVisible({
    timeout: 30_000,
  });
  await expect(agents).toContainText(`Last change`);
  await expect(agents).toContainText(change);
  const row = page.getByTestId('checks-table').getByRole('row').filter({ hasText: 'after' });
  await expect(row).toContainText('managed by the Pandora server');
  await expect(row.getByRole('button', { name: 'Edit' })).toHaveCount(0);
  await expect(page.getByTestId('checks-table')).not.toContainText('before');
  await screenshot(page, 'checks-pandora-remote');
  await expectAccessible(page);

  const list = await ui.cli('check', 'list');
  expect(list.stdout).toContain(change);

  await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
  await page.getByLabel('Language').selectOption('fr');
  await page.goto(`http://127.0.0.1:${ui.port}/#/checks`);
  await expect(agents).toContainText('géré par le serveur Pandora');
  await expect(agents).toContainText(
    'configuration modifiée par le serveur Pandora : 1 module ajouté, 1 supprimé',
  );
  await expect(agents).toContainText('modifiez-les dans la console Pandora');

  await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
  await page.getByLabel('Langue').selectOption('de');
  await page.goto(`http://127.0.0.1:${ui.port}/#/checks`);
  await expect(agents).toContainText('vom Pandora-Server verwaltet');
  await expect(agents).toContainText(
    'Konfiguration vom Pandora-Server geändert: 1 Modul hinzugefügt, 1 entfernt',
  );
  await expect(agents).toContainText('Letzte Änderung');
  await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
  await page.getByLabel('Sprache').selectOption('en');
});
