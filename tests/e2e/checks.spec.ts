import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { chromiumMissing, startOutpostUi, type OutpostUi } from './outpost-ui.ts';
import { expectAccessible, screenshot } from './shots.ts';

/** Issue #10's Checks page against `outpost ui`: import, add with "run now", the list. */
const skipReason = chromiumMissing();
test.skip(skipReason !== undefined, skipReason);
const DUMMY = '/usr/lib/nagios/plugins/check_dummy';
if (!existsSync(DUMMY) && process.env.CI !== undefined && process.env.CI !== '') {
  throw new Error(`${DUMMY} is missing: CI must install monitoring-plugins-basic`);
}
test.skip(!existsSync(DUMMY), `${DUMMY} missing (apt-get install -y monitoring-plugins-basic)`);

const PANDORA_CONF = [
  'server_ip 127.0.0.1',
  'server_ssl 1',
  'agent_name ws-e2e',
  'interval 300',
  'module_begin',
  'module_name Echo',
  'module_exec echo OK - hello',
  'module_end',
  'module_end',
].join('\n');

let ui: OutpostUi;
test.beforeAll(async () => {
  ui = await startOutpostUi();
});
test.afterAll(async () => {
  await ui?.stop();
});

test('imports a Pandora agent, adds a check after a trial run, lists both with their last result', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/checks`);
  await expect(page.getByRole('heading', { level: 1, name: 'Checks' })).toBeVisible();
  await expect(page.getByText('No local check is configured')).toBeVisible();

  // Import: preview first (nothing created), then for real; the report names the bad line.
  await page.getByRole('button', { name: 'Import…' }).click();
  await page.getByLabel('Content').fill(PANDORA_CONF);
  await page.getByRole('button', { name: 'Preview' }).click();
  const report = page.getByTestId('import-report');
  await expect(report).toContainText('would create');
  await expect(report.getByRole('table')).toContainText('module_end without module_begin');
  await expect(
    report.getByRole('row').filter({ hasText: 'module_end without module_begin' }),
  ).toContainText('9');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(report).toContainText('created');
  const table = page.getByTestId('checks-table');
  await expect(table).toContainText('Echo');
  await screenshot(page, 'checks-import');
  await expectAccessible(page);

  // Add: a plugin with arguments, tried with "run now" before saving.
  await page.getByRole('button', { name: 'Add a check…' }).click();
  await page.getByLabel('Name').fill('dummy');
  await page.getByRole('textbox', { name: 'Program' }).fill(DUMMY);
  await page.getByLabel('Arguments').fill('1\nslow answer | time=2s;1;5;0');
  await page.getByRole('button', { name: 'Run now' }).click();
  const result = page.getByTestId('check-result');
  await expect(result).toContainText('WARNING (exit 1)');
  await expect(result).toContainText('WARNING: slow answer');
  await expect(result.getByRole('row').filter({ hasText: 'time' })).toContainText('2s');
  await expect(page.getByText('Result of a trial run: nothing was delivered.')).toBeVisible();
  await screenshot(page, 'checks-editor');
  await expectAccessible(page);
  await page.getByRole('checkbox', { name: /pandora/ }).check();
  await page.getByLabel('Pandora module name').fill('Dummy module');
  await page.getByRole('button', { name: 'Save' }).click();

  await expect(table).toContainText('dummy');
  // Run it from the list: the result shows, and the list keeps it as the last result.
  await table
    .getByRole('row')
    .filter({ hasText: 'dummy' })
    .getByRole('button', { name: 'Run now' })
    .click();
  await expect(
    page.getByRole('heading', { name: 'dummy: result of the run just now' }),
  ).toBeVisible();
  await expect(table.getByRole('row').filter({ hasText: 'dummy' })).toContainText('WARNING');
  await screenshot(page, 'checks-list');

  const listed = JSON.parse((await ui.cli('check', 'list', '--json')).stdout) as Array<{
    definition: { name: string; targets: Array<{ moduleName?: string }> };
    lastResult?: { stateName: string };
  }>;
  expect(listed.map((c) => c.definition.name).sort()).toEqual(['Echo', 'dummy']);
  expect(listed.find((c) => c.definition.name === 'dummy')).toMatchObject({
    definition: { targets: [{ moduleName: 'Dummy module' }] },
    lastResult: { stateName: 'WARNING' },
  });

  // A built-in from its preset: the UI's own port answers; then edit its interval.
  await page.getByRole('button', { name: 'Use this' }).nth(6).click();
  await expect(page.getByRole('combobox', { name: 'Built-in check' })).toHaveValue('tcp');
  await page.getByLabel('Name').fill('ui-port');
  await page.getByRole('textbox', { name: 'Port' }).fill(String(ui.port));
  await page.getByRole('button', { name: 'Run now' }).click();
  await expect(page.getByTestId('check-result')).toContainText(`TCP OK`);
  await expect(
    page.getByTestId('check-result').getByRole('row').filter({ hasText: 'time' }),
  ).toContainText('s');
  await page.getByRole('checkbox', { name: /pandora/ }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(table).toContainText('ui-port');
  await table
    .getByRole('row')
    .filter({ hasText: 'ui-port' })
    .getByRole('button', { name: 'Edit' })
    .click();
  await page.getByLabel('Every (seconds)').fill('120');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(table.getByRole('row').filter({ hasText: 'ui-port' })).toContainText('every 120 s');
  const edited = JSON.parse((await ui.cli('check', 'list', '--json')).stdout) as Array<{
    definition: {
      name: string;
      interval: number;
      builtin?: { kind: string; options: Record<string, string> };
    };
  }>;
  expect(edited.find((c) => c.definition.name === 'ui-port')?.definition).toMatchObject({
    interval: 120,
    builtin: { kind: 'tcp', options: { port: String(ui.port), address: '127.0.0.1' } },
  });
});
