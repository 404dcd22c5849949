import { chromium, test, type Browser, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '../../peers/util.ts';
import {
  expectDeliveryAndNotification,
  expectOverviewFromAppScheme,
  expectTrayUp,
} from './smoke.ts';

/**
 * Smoke of the PACKAGED app (issue #15 "Real launches in CI"), as electron-builder
 * built it for release: fuses flipped, asar integrity, app://outpost/. CI's
 * Windows and macOS jobs package the app and set OUTPOST_PACKAGED_APP to its
 * executable; elsewhere this skips and says so.
 *
 * Playwright's `_electron.launch` needs the main process's Node inspector
 * ("Debugger listening on ws://…"), which the release fuse
 * `enableNodeCliInspectArguments: false` turns off, rightly: so this launches
 * the app itself with Chromium's `--remote-debugging-port` and drives its
 * window over CDP (`chromium.connectOverCDP`). The main process is observed
 * through its log, as a user's diagnostics bundle would show it.
 */
const executable = process.env.OUTPOST_PACKAGED_APP;
if (executable !== undefined && executable !== '' && !existsSync(executable))
  throw new Error(`OUTPOST_PACKAGED_APP=${executable} does not exist: the packaging step failed?`);
const reason =
  executable === undefined || executable === ''
    ? 'OUTPOST_PACKAGED_APP is not set (CI sets it to the packaged executable): packaged-app smoke skipped'
    : undefined;
if (reason !== undefined) console.log(reason);
test.skip(reason !== undefined, reason);

let child: ChildProcess;
let browser: Browser;
let page: Page;
let dataDir: string;
let cleanup: () => Promise<void>;
let output = '';

test.beforeAll(async () => {
  const temp = await makeTempDir('packaged');
  dataDir = join(temp.dir, 'outpost');
  cleanup = temp.cleanup;
  const chromiumDir = join(temp.dir, 'chromium');
  child = spawn(executable!, ['--remote-debugging-port=0', `--user-data-dir=${chromiumDir}`], {
    env: { ...process.env, OUTPOST_HOME: dataDir, ELECTRON_ENABLE_LOGGING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  browser = await chromium.connectOverCDP(await devToolsEndpoint(chromiumDir, () => exited));
  page = await windowOnAppScheme(browser);
});

/**
 * Chromium says where its DevTools endpoint is on stderr, and in
 * <user-data-dir>/DevToolsActivePort (port, then path): a Windows GUI
 * executable's stderr may not reach the pipe, the file always exists.
 */
async function devToolsEndpoint(
  chromiumDir: string,
  exitCode: () => number | null | undefined,
): Promise<string> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const printed = /DevTools listening on (ws:\/\/\S+)/.exec(output);
    if (printed !== null) return printed[1]!;
    const file = await readFile(join(chromiumDir, 'DevToolsActivePort'), 'utf8').catch(() => '');
    const [port, path] = file.split(/\r?\n/);
    if (port !== undefined && /^\d+$/.test(port) && path !== undefined && path !== '')
      return `ws://127.0.0.1:${port}${path}`;
    if (exitCode() !== undefined)
      throw new Error(`the packaged app exited (${exitCode()}) before it was up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the packaged app published no DevTools endpoint in 60 s:\n${output}`);
}

test.afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  }
  await cleanup?.();
});

async function windowOnAppScheme(b: Browser): Promise<Page> {
  for (let attempt = 0; attempt < 120; attempt++) {
    for (const context of b.contexts())
      for (const p of context.pages()) if (p.url().startsWith('app://outpost/')) return p;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no window on app://outpost/ after 60 s:\n${output}`);
}

test('starts, with the tray up and the Overview shown from app://outpost/', async () => {
  await expectOverviewFromAppScheme(page);
  await expectTrayUp(dataDir);
});

test('a file queued in the window reaches the Tentacle server; a refused one posts a notification', async () => {
  // On an unsigned (ad hoc) macOS build the notification itself then fails (Electron 42+ needs
  // a signed app): desktop-notifier.ts logs that once, and the agent goes on delivering.
  await expectDeliveryAndNotification(page, dataDir);
});
