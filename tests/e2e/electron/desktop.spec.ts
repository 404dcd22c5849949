import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { electronBinary } from '../../../main/shell/launch.js';
import { makeTempDir } from '../../peers/util.ts';
import { ROOT } from '../outpost-ui.ts';
import {
  expectDeliveryAndNotification,
  expectOverviewFromAppScheme,
  expectTrayUp,
} from './smoke.ts';

/**
 * The desktop app itself, unpackaged, with Electron's runtime (tray, window,
 * preload, app://outpost/). Electron's runtime cannot be downloaded on the
 * machines these tests were written on: there they skip and say so; CI's
 * ubuntu job installs it (`npx install-electron`). Every behaviour here is also
 * covered without Electron (tests/shell, tests/e2e/*.spec.ts against `outpost ui`).
 * packaged.spec.ts runs the same smoke against the packaged app.
 */
const binary = electronBinary();
const reason =
  "Electron's runtime is not installed (node_modules/electron/dist missing; npx install-electron): desktop tests skipped";
if (binary === undefined) console.log(reason);
test.skip(binary === undefined, reason);

let app: ElectronApplication;
let dataDir: string;
let cleanup: () => Promise<void>;

test.beforeAll(async () => {
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'electron-vite'),
    ['build', '--logLevel', 'warn'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  const temp = await makeTempDir('electron');
  dataDir = temp.dir;
  cleanup = temp.cleanup;
  // Without ELECTRON_RUN_AS_NODE, which a shell may have left set (issue #15 item 15).
  const env = Object.fromEntries(
    Object.entries({ ...process.env, OUTPOST_HOME: temp.dir }).filter(
      (e): e is [string, string] => e[1] !== undefined && e[0] !== 'ELECTRON_RUN_AS_NODE',
    ),
  );
  app = await electron.launch({ executablePath: binary!, args: [ROOT, '--no-sandbox'], env });
});
test.afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

test('opens one secured window on app://outpost/ whose preload exposes exactly window.outpost', async () => {
  const page = await app.firstWindow();
  await expectOverviewFromAppScheme(page);
  const surface = await page.evaluate(() => ({
    outpost: Object.keys((window as unknown as { outpost: object }).outpost).sort(),
    require: typeof (window as unknown as { require?: unknown }).require,
    process: typeof (window as unknown as { process?: unknown }).process,
    origin: window.location.origin,
  }));
  expect(surface.outpost).toEqual(['call', 'on', 'pathForFile']);
  expect(surface.require).toBe('undefined');
  expect(surface.process).toBe('undefined');
  expect(surface.origin).toBe('app://outpost');
});

test('the tray is up', async () => {
  await expectTrayUp(dataDir);
});

test('a file queued in the window reaches the Tentacle server; a refused one posts a notification', async () => {
  const page = await app.firstWindow();
  // Count what the main process shows (Electron's Notification, before the first notice).
  await app.evaluate(({ Notification }) => {
    const shown: string[] = [];
    (globalThis as unknown as { shownNotifications: string[] }).shownNotifications = shown;
    const show = Notification.prototype.show;
    Notification.prototype.show = function (this: Electron.Notification) {
      shown.push(this.title);
      show.call(this);
    };
  });
  await expectDeliveryAndNotification(page, dataDir);
  const { supported, shown } = await app.evaluate(({ Notification }) => ({
    supported: Notification.isSupported(),
    shown: (globalThis as unknown as { shownNotifications: string[] }).shownNotifications,
  }));
  // Where the desktop has no notification service, the notifier says so once and goes on.
  if (supported) expect(shown.some((title) => title.startsWith('Delivery to'))).toBe(true);
  else expect(shown).toEqual([]);
});

test('refuses new windows and navigation away, also to the same path elsewhere', async () => {
  const page = await app.firstWindow();
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  await page.evaluate(() => window.open('https://example.com'));
  // A navigation the guard let through would have replaced this document (and its marker) by now.
  const navigated = page.waitForEvent('framenavigated', { timeout: 2_000 }).catch(() => undefined);
  await page.evaluate(() => (window.location.href = 'https://example.com/index.html'));
  expect(await navigated).toBeUndefined();
  expect(page.url()).toMatch(/^app:\/\/outpost\/index\.html/);
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
});

test('closing the window keeps the agent running in the tray', async () => {
  const page = await app.firstWindow();
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
  const state = await app.evaluate(({ BrowserWindow }) => ({
    windows: BrowserWindow.getAllWindows().length,
    visible: BrowserWindow.getAllWindows()[0]?.isVisible(),
  }));
  expect(state).toEqual({ windows: 1, visible: false });
  expect(
    await page.evaluate(() =>
      (
        window as unknown as { outpost: { getAgentInfo(r: object): Promise<{ version: string }> } }
      ).outpost
        .getAgentInfo({})
        .then((i) => i.version),
    ),
  ).toMatch(/\d+\.\d+/);
});
