import { expect, test } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectAccessible, screenshot } from './shots.ts';
import { chromiumMissing, startOutpostUi, type OutpostUi } from './outpost-ui.ts';

const skipReason = chromiumMissing();
test.skip(skipReason !== undefined, skipReason);

let ui: OutpostUi;
test.beforeAll(async () => {
  ui = await startOutpostUi();
});
test.afterAll(async () => {
  await ui?.stop();
});

test.beforeEach(async ({ page }) => {
  // Through the launch page `outpost ui` gave the browser opener, then on the session cookie.
  await ui.signIn(page);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
});

test('the browser opener is given a private page, not the URL; the URL signs in once', async ({
  browser,
}) => {
  const code = new URL(ui.url).searchParams.get('code')!;
  expect(ui.openerArgs).toHaveLength(1);
  expect(ui.openerArgs[0]).toMatch(/open-outpost\.html$/);
  expect(ui.openerArgs.join(' ')).not.toContain(code);
  // beforeEach used the code: in another browser the same URL is refused, saying why.
  const other = await browser.newContext();
  try {
    const page = await other.newPage();
    const answer = await page.goto(ui.url);
    expect(answer?.status()).toBe(410);
    await expect(page.getByText('This sign-in link was already used')).toBeVisible();
  } finally {
    await other.close();
  }
});

const PAGES = [
  { hash: 'overview', heading: 'Overview' },
  { hash: 'pair', heading: 'Pair a server' },
  { hash: 'queue', heading: 'Queue' },
  { hash: 'checks', heading: 'Checks' },
  { hash: 'identity', heading: 'Identity' },
  { hash: 'settings', heading: 'Settings' },
  { hash: 'logs', heading: 'Logs' },
];

for (const theme of ['light', 'dark'] as const) {
  test(`every page renders, is saved as a screenshot and passes axe (${theme})`, async ({
    page,
  }) => {
    await page.emulateMedia({ colorScheme: theme });
    for (const p of PAGES) {
      await page.goto(`http://127.0.0.1:${ui.port}/#/${p.hash}`);
      await expect(page.getByRole('heading', { level: 1, name: p.heading })).toBeVisible();
      if (p.hash === 'identity') await expect(page.getByTestId('agent-thumbprint')).toBeVisible();
      await screenshot(page, `${p.hash}-${theme}`);
      await expectAccessible(page);
    }
  });
}

test('the identity page shows the same thumbprint as `outpost identity show --json`', async ({
  page,
}) => {
  await page.goto(`http://127.0.0.1:${ui.port}/#/identity`);
  const shown = (await page.getByTestId('agent-thumbprint').textContent())?.trim();
  const { stdout } = await ui.cli('identity', 'show', '--json');
  const cli = JSON.parse(stdout) as { agentKey: { thumbprint: string } };
  expect(shown).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(shown).toBe(cli.agentKey.thumbprint);
});

test('a ticket in use is shown masked, revealed on click, and hidden again', async ({ page }) => {
  // A pending Icinga pairing keeps its ticket in the secret store (here the 0600 file store).
  const ticket = '4f9ad2b1c0e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4';
  await writeFile(
    join(ui.dataDir, 'secrets.json'),
    JSON.stringify({ 'target/master-e2e/ticket': ticket }),
    { mode: 0o600 },
  );
  await page.goto(`http://127.0.0.1:${ui.port}/#/identity`);
  const code = page.getByLabel('Ticket of master-e2e');
  await expect(code).toBeVisible();
  await expect(code).not.toHaveText(ticket);
  await expect(code).toContainText(ticket.slice(0, 4));
  await page.getByRole('button', { name: 'Reveal' }).click();
  await expect(code).toHaveText(ticket);
  await expect(page.getByRole('button', { name: 'Copy' }).last()).toBeVisible();
  await page.getByRole('button', { name: 'Hide' }).click();
  await expect(code).not.toHaveText(ticket);
  await expectAccessible(page);
});

test('switching the language translates the UI and is remembered', async ({ page }) => {
  await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
  await page.getByLabel('Language').selectOption('fr');
  await expect(page.getByRole('heading', { level: 1, name: 'Paramètres' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Vue d’ensemble' })).toBeVisible();
  await page.getByLabel('Langue').selectOption('de');
  await expect(page.getByRole('heading', { level: 1, name: 'Einstellungen' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Einstellungen' })).toBeVisible();
  const { stdout } = await ui.cli('identity', 'show', '--json');
  expect(stdout).toContain('thumbprint');
  await page.getByLabel('Sprache').selectOption('en');
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
});

test('an invalid input shows the core validation error next to its field', async ({ page }) => {
  await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
  const name = page.getByLabel('Agent name');
  await name.fill('');
  await page
    .locator('form')
    .filter({ has: page.getByLabel('Agent name') })
    .getByRole('button', { name: 'Save', exact: true })
    .click();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  const describedBy = await name.getAttribute('aria-describedby');
  const error = page.locator(
    `[id="${describedBy!.split(' ').find((id) => id.endsWith('-error'))}"]`,
  );
  await expect(error).toContainText('name');

  // The queue caps: under 1 MiB is refused by the core, next to that field.
  const maxTotal = page.getByLabel('Maximum pending (MiB)');
  await maxTotal.fill('0');
  await page.getByRole('button', { name: 'Save the caps' }).click();
  await expect(maxTotal).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('maxTotalBytes must be at least 1 MiB')).toBeVisible();
  await maxTotal.fill('2048');
  await page.getByRole('button', { name: 'Save the caps' }).click();
  await expect(maxTotal).not.toHaveAttribute('aria-invalid', 'true');
  const caps = JSON.parse((await ui.cli('queue', 'stats', '--json')).stdout) as {
    caps: { maxTotalBytes: number };
  };
  expect(caps.caps.maxTotalBytes).toBe(2048 * 1024 * 1024);

  await page.goto(`http://127.0.0.1:${ui.port}/#/identity`);
  const keyPath = page.getByLabel('Path of a PEM key file');
  await keyPath.fill('/nonexistent/key.pem');
  await page.getByRole('button', { name: 'Compute' }).click();
  await expect(keyPath).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText("cannot read key file '/nonexistent/key.pem'")).toBeVisible();
});

test('is keyboard navigable: skip link, sidebar links and form controls take focus in order', async ({
  page,
}) => {
  await page.goto(`http://127.0.0.1:${ui.port}/#/overview`);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Overview' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Queue' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Queue' })).toBeVisible();
  await page.goto(`http://127.0.0.1:${ui.port}/#/settings`);
  await page.getByLabel('Language').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Theme')).toBeFocused();
});

test('the logs page shows the agent log, filtered, and lines pushed live', async ({ page }) => {
  await page.goto(`http://127.0.0.1:${ui.port}/#/logs`);
  await expect(page.getByText('web UI listening')).toBeVisible();
  await page.getByLabel('Contains').fill('no-such-line-anywhere');
  await expect(page.getByText('No log line matches.')).toBeVisible();
  await page.getByLabel('Contains').fill('client connected');
  // This page's own connection is logged too: wait for the filtered list before counting.
  await expect(page.getByText('web UI client connected').first()).toBeVisible();
  await expect(page.getByText('web UI listening')).toHaveCount(0);
  const before = await page.getByText('web UI client connected').count();
  // Another browser tab connecting is logged by the agent and pushed to this page as it happens.
  const other = await page.context().newPage();
  await other.goto(`http://127.0.0.1:${ui.port}/#/overview`);
  await expect(other.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await expect(page.getByText('web UI client connected')).toHaveCount(before + 1);
  await other.close();
});

test('the Gorgone wizard gives the admin the authorized_clients entry with our thumbprint; OnSphere lists the three files', async ({
  page,
}) => {
  const { stdout } = await ui.cli('identity', 'thumbprint', '--json');
  const thumbprint = (JSON.parse(stdout) as { thumbprint: string }).thumbprint;
  await page.goto(`http://127.0.0.1:${ui.port}/#/pair/gorgone`);
  await expect(page.getByTestId('gorgone-thumbprint')).toHaveText(thumbprint);
  await expect(page.getByRole('complementary', { name: 'What to do on the server' })).toContainText(
    `- key: ${thumbprint}`,
  );
  await screenshot(page, 'pair-gorgone');
  await expectAccessible(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/pair/onsphere`);
  for (const file of ['ca.crt', 'module.crt', 'module.key'])
    await expect(page.getByText(file, { exact: true })).toBeVisible();
  await screenshot(page, 'pair-onsphere');
  await expectAccessible(page);
});
