import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { electronBinary } from '../../../main/shell/launch.js';
import { makeTempDir } from '../../peers/util.ts';
import { ROOT } from '../outpost-ui.ts';

/**
 * The desktop app itself (tray, window, preload). Electron's runtime cannot be
 * downloaded on the machines these tests were written on: there they skip and
 * say so. Every behaviour here is also covered without Electron (tests/shell,
 * tests/e2e/*.spec.ts against `outpost ui`).
 */
const binary = electronBinary();
const reason =
  "Electron's runtime is not installed (node_modules/electron/dist missing): desktop tests skipped";
if (binary === undefined) console.log(reason);
test.skip(binary === undefined, reason);

let app: ElectronApplication;
let cleanup: () => Promise<void>;

test.beforeAll(async () => {
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'electron-vite'),
    ['build', '--logLevel', 'warn'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  const temp = await makeTempDir('electron');
  cleanup = temp.cleanup;
  app = await electron.launch({
    executablePath: binary!,
    args: [ROOT, '--no-sandbox'],
    env: { ...process.env, OUTPOST_HOME: temp.dir },
  });
});
test.afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

test('opens one secured window whose preload exposes exactly window.outpost', async () => {
  const page = await app.firstWindow();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  const surface = await page.evaluate(() => ({
    outpost: Object.keys((window as unknown as { outpost: object }).outpost).sort(),
    require: typeof (window as unknown as { require?: unknown }).require,
    process: typeof (window as unknown as { process?: unknown }).process,
  }));
  expect(surface.outpost).toEqual(['call', 'on', 'pathForFile']);
  expect(surface.require).toBe('undefined');
  expect(surface.process).toBe('undefined');
});

test('refuses new windows and navigation away', async () => {
  const page = await app.firstWindow();
  await page.evaluate(() => window.open('https://example.com'));
  await page.evaluate(() => (window.location.href = 'https://example.com/'));
  await page.waitForTimeout(500);
  expect(page.url()).toContain('/renderer/index.html');
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
