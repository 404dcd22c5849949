import { expect, test } from '@playwright/test';
import { icingaMissing, IcingaMaster } from '../peers/icinga2.ts';
import { chromiumMissing, startOutpostUi, type OutpostUi } from './outpost-ui.ts';
import { expectAccessible, screenshot } from './shots.ts';

/** Ticket pairing through the wizard against a real Icinga 2 master (issue #8). */
const skipReason = chromiumMissing() ?? icingaMissing();
test.skip(skipReason !== undefined, skipReason);

const CN = 'ws-e2e.example';
let master: IcingaMaster;
let ui: OutpostUi;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [master, ui] = await Promise.all([
    IcingaMaster.start({ agents: [{ cn: CN }] }),
    startOutpostUi(),
  ]);
});
test.afterAll(async () => {
  await ui?.stop();
  await master?.stop();
});

function spaced(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?!$)/g, '$1 ');
}

/** As `openssl x509 -fingerprint -sha256` prints it (and the identity page shows pins). */
function colons(hex: string): string {
  return spaced(hex).replace(/ /g, ':');
}

test('pairs with an Icinga master through the wizard: fingerprint shown, compared, then paired with a ticket', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.getByRole('link', { name: 'Pair a server' }).click();
  await page.getByRole('link', { name: 'Pair with Icinga 2' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Pair with Icinga 2' })).toBeVisible();

  await page.getByLabel('Target name').fill('icinga-e2e');
  await page.getByLabel('Master host name or address').fill('127.0.0.1');
  await page.getByLabel('Port').fill(String(master.port));
  await page.getByLabel('Agent endpoint name (CN)').fill(CN);
  // The server panel already tells the admin what to run, with our CN.
  await expect(page.getByText(`icinga2 pki ticket --cn ${CN}`).first()).toBeVisible();
  await expect(page.getByText(`object Endpoint "${CN}" {`)).toBeVisible();
  await screenshot(page, 'pair-icinga-master');
  await expectAccessible(page);

  await page.getByRole('button', { name: 'Fetch the master certificate' }).click();
  // Trust on first use: the fingerprint the master presented, next to the one read on the server.
  await expect(page.getByTestId('presented-fingerprint')).toHaveText(spaced(master.fingerprint));
  await page
    .getByLabel('Read on the server')
    .fill(`sha256 Fingerprint=${colons(master.fingerprint)}`);
  await expect(page.getByText('Fingerprints match')).toBeVisible();
  await page.getByLabel('Read on the server').fill('00:11:22');
  await expect(page.getByText('Fingerprints differ: do not trust this server')).toBeVisible();
  await page.getByLabel('Read on the server').fill(master.fingerprint);

  const pair = page.getByRole('button', { name: 'Trust and pair' });
  await expect(pair).toBeDisabled();
  await page
    .getByLabel('I compared the fingerprints: trust this master and pin its certificate')
    .check();
  await page.getByLabel('Ticket', { exact: true }).fill(await master.ticket(CN));
  await screenshot(page, 'pair-icinga-trust');
  await expectAccessible(page);
  await pair.click();

  await expect(page.getByRole('heading', { level: 2, name: /Paired/ })).toBeVisible({
    timeout: 60_000,
  });
  await screenshot(page, 'pair-icinga-done');
  await expectAccessible(page);

  // The identity page shows the certificate the master signed and the pinned master.
  await page.goto(`http://127.0.0.1:${ui.port}/#/identity`);
  await expect(
    page.getByRole('heading', { level: 3, name: /icinga-e2e · client certificate/ }),
  ).toBeVisible();
  await expect(page.getByText(CN, { exact: true }).first()).toBeVisible();
  const { stdout } = await ui.cli('target', 'list', '--json');
  expect(JSON.parse(stdout)).toEqual([
    expect.objectContaining({ name: 'icinga-e2e', kind: 'icinga' }),
  ]);
  await screenshot(page, 'identity-paired');

  // Reopening the target shows its current settings; the command endpoint is opt-in and validated by the core.
  await page.goto(`http://127.0.0.1:${ui.port}/#/overview`);
  await expect(page.getByTestId('target-name')).toHaveText('icinga-e2e');
  await page.getByRole('link', { name: 'Pairing settings' }).click();
  await expect(page.getByRole('heading', { name: 'Icinga target icinga-e2e' })).toBeVisible();
  await expect(page.getByText(`${CN}`, { exact: true }).first()).toBeVisible();
  await page.getByLabel('Allow remote commands').check();
  const allow = page.getByLabel('Allow-list (one regular expression per line)');
  await allow.fill('check_disk ([');
  await page.getByRole('button', { name: 'Save' }).last().click();
  await expect(allow).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('must be a valid regular expression')).toBeVisible();
  await allow.fill('/usr/lib/nagios/plugins/check_disk .*');
  await page.getByRole('button', { name: 'Save' }).last().click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
  await screenshot(page, 'pair-icinga-settings');
  await expectAccessible(page);
  const targets = JSON.parse((await ui.cli('target', 'list', '--json')).stdout) as Array<{
    config: { commandEndpoint: { policy: { enabled: boolean; allow: string[] } } };
  }>;
  expect(targets[0]!.config.commandEndpoint.policy).toMatchObject({
    enabled: true,
    allow: ['/usr/lib/nagios/plugins/check_disk .*'],
  });
});

test('a wrong ticket is refused and shown; cancelling leaves no target behind', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/pair/icinga`);
  await page.getByLabel('Target name').fill('icinga-bad');
  await page.getByLabel('Master host name or address').fill('127.0.0.1');
  await page.getByLabel('Port').fill('not-a-port');
  await page.getByRole('button', { name: 'Fetch the master certificate' }).click();
  await expect(page.getByLabel('Port')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Port').fill(String(master.port));
  await page.getByLabel('Agent endpoint name (CN)').fill('ws-other.example');
  await page.getByRole('button', { name: 'Fetch the master certificate' }).click();
  await page
    .getByLabel('I compared the fingerprints: trust this master and pin its certificate')
    .check();
  await page.getByLabel('Ticket', { exact: true }).fill('0'.repeat(40));
  await page.getByRole('button', { name: 'Trust and pair' }).click();
  await expect(page.getByRole('alert').first()).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  const { stdout } = await ui.cli('target', 'list', '--json');
  expect((JSON.parse(stdout) as Array<{ name: string }>).map((t) => t.name)).not.toContain(
    'icinga-bad',
  );
});

test('on-demand pairing: the pending step names the master that holds the request and its sign command', async ({
  page,
}) => {
  await ui.signIn(page);
  await page.goto(`http://127.0.0.1:${ui.port}/#/pair/icinga`);
  await page.getByLabel('Target name').fill('icinga-pending');
  await page.getByLabel('Master host name or address').fill('127.0.0.1');
  await page.getByLabel('Port').fill(String(master.port));
  await page.getByLabel('Agent endpoint name (CN)').fill('ws-pending.example');
  await page.getByRole('button', { name: 'Fetch the master certificate' }).click();
  await page
    .getByLabel('I compared the fingerprints: trust this master and pin its certificate')
    .check();
  await page.getByText('On demand', { exact: true }).click();
  await page.getByRole('button', { name: 'Trust and pair' }).click();
  await expect(
    page.getByText(
      'Ask the admin to run this on the master master.test, which holds the request, then check again:',
    ),
  ).toBeVisible({ timeout: 60_000 });
  const [fingerprint] = Object.entries(await master.caList())
    .filter(([, request]) => request.subject.includes('ws-pending.example'))
    .map(([fp]) => fp);
  expect(fingerprint).toBeDefined();
  await expect(page.getByText(`icinga2 ca sign ${fingerprint}`).first()).toBeVisible();
  await expectAccessible(page);

  // The settings of the pending target name it too (getIcingaStatus.pendingRequest.heldBy).
  const settings = await page.context().newPage();
  await settings.goto(`http://127.0.0.1:${ui.port}/#/pair/icinga/icinga-pending`);
  await expect(
    settings.getByRole('heading', { name: 'Icinga target icinga-pending' }),
  ).toBeVisible();
  const banner = settings.getByText(
    'Ask the admin to run this on the master master.test, which holds the request, then check again:',
  );
  await expect(banner).toBeVisible();
  await expect(banner.getByText(`icinga2 ca sign ${fingerprint}`)).toBeVisible();
  await expectAccessible(settings);
  await settings.close();
  await page.getByRole('button', { name: 'Cancel' }).click();
});

test('pairs with both masters of an HA zone through the wizard, and the settings show each master', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const haCn = 'ws-ha.example';
  const [a, b] = await IcingaMaster.startHaPair({ agents: [{ cn: haCn }] });
  try {
    await ui.signIn(page);
    await page.goto(`http://127.0.0.1:${ui.port}/#/pair/icinga`);
    await page.getByLabel('Target name').fill('icinga-ha');
    await page.getByLabel('Master host name or address').fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill(String(a.port));
    // Issue #18: every endpoint of the parent zone, one more on demand.
    await page.getByRole('button', { name: 'Add another master of the zone' }).click();
    await expect(page.getByLabel('Master 1 host name or address')).toHaveValue('127.0.0.1');
    await page.getByLabel('Master 2 host name or address').fill('127.0.0.1');
    await page.getByLabel('Master 2 port').fill(String(b.port));
    await page.getByLabel('Agent endpoint name (CN)').fill(haCn);
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Fetch the master certificate' }).click();

    // Each master's certificate, to compare one by one.
    const presented = page.getByTestId('presented-fingerprint');
    await expect(presented).toHaveText([spaced(a.fingerprint), spaced(b.fingerprint)]);
    await page
      .getByLabel('I compared the fingerprints: trust these masters and pin each certificate')
      .check();
    await page.getByLabel('Ticket', { exact: true }).fill(await a.ticket(haCn));
    await screenshot(page, 'pair-icinga-ha-trust');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Trust and pair' }).click();
    await expect(page.getByRole('heading', { level: 2, name: /Paired/ })).toBeVisible({
      timeout: 60_000,
    });
    const paired = page.getByTestId('icinga-master');
    await expect(paired).toHaveCount(2);
    await expect(paired.nth(0)).toContainText(`master.test127.0.0.1:${a.port}`);
    await expect(paired.nth(1)).toContainText(`master2.test127.0.0.1:${b.port}`);

    await page.getByRole('button', { name: 'Go to the overview' }).click();

    // The settings of the target: both masters, each with its connection and its own pin.
    await b.kill();
    await page.goto(`http://127.0.0.1:${ui.port}/#/pair/icinga/icinga-ha`);
    await expect(page.getByRole('heading', { name: 'Icinga target icinga-ha' })).toBeVisible();
    const rows = page
      .getByRole('table', { name: 'Masters of the parent zone' })
      .getByTestId('icinga-master');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('master.test');
    await expect(rows.nth(0)).toContainText(a.fingerprint);
    await expect(rows.nth(0)).toContainText('Connected');
    await expect(rows.nth(1)).toContainText('master2.test');
    await expect(rows.nth(1)).toContainText(b.fingerprint);
    await expect(rows.nth(1)).not.toContainText('Connected');
    await screenshot(page, 'pair-icinga-ha-settings');
    await expectAccessible(page);

    // The identity page lists each master's pinned certificate, not only the first one's.
    await page.goto(`http://127.0.0.1:${ui.port}/#/identity`);
    const pins = page
      .getByRole('table', { name: 'Pinned servers' })
      .getByTestId('pin')
      .filter({ hasText: 'icinga-ha' });
    await expect(pins).toHaveCount(2);
    await expect(pins.nth(0)).toContainText(`master.test (127.0.0.1:${a.port})`);
    await expect(pins.nth(0)).toContainText(colons(a.fingerprint));
    await expect(pins.nth(1)).toContainText(`master2.test (127.0.0.1:${b.port})`);
    await expect(pins.nth(1)).toContainText(colons(b.fingerprint));
    await screenshot(page, 'identity-icinga-ha');
    await expectAccessible(page);
  } finally {
    await a.stop();
    await b.stop();
  }
});
