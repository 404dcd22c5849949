import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Cookie, Page } from '@playwright/test';
import {
  captureOutput,
  freePort,
  makeTempDir,
  sleep,
  startProcess,
  stopProcess,
} from '../peers/util.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
/** Under vitest the built bin (tests/cli/global-setup.ts, issue #17); under Playwright the sources. */
export const OUTPOST = process.env.OUTPOST_TEST_CLI ?? join(ROOT, 'main', 'cli', 'outpost.js');
const run = promisify(execFile);

/** Where the Debian Chromium must be; CI installs it, elsewhere tests skip saying why. */
export function chromiumMissing(): string | undefined {
  const path = process.env.OUTPOST_CHROMIUM ?? '/usr/bin/chromium';
  if (existsSync(path)) return undefined;
  if (process.env.CI !== undefined && process.env.CI !== '') {
    throw new Error(`${path} is missing: CI must install the Debian chromium package`);
  }
  return `${path} is missing (apt-get install chromium): browser tests skipped`;
}

export interface OutpostUi {
  /** The one-time sign-in URL `outpost ui` printed. */
  url: string;
  port: number;
  dataDir: string;
  /** The arguments `outpost ui` started the browser (xdg-open) with. */
  openerArgs: string[];
  output(): string;
  /**
   * Signs this page's browser in as a user would: the first call opens the
   * launch page `outpost ui` gave xdg-open (it uses the URL's one-time code);
   * later calls, in fresh browser contexts, get the session cookie that set.
   */
  signIn(page: Page): Promise<void>;
  /** Runs another `outpost` command on the same data dir. */
  cli(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Waits for `read` to return a value, for at most 30 s. */
async function waitFor<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within 30 s`);
    await sleep(50);
  }
}

/**
 * Starts `outpost ui` on a fresh data dir, with an `xdg-open` on PATH that
 * records its arguments instead of starting a desktop browser, and waits for
 * the URL it prints; `before` runs CLI commands on that data dir first (e.g.
 * pairing). `env` is added to the process environment (OUTPOST_UI_DIR…).
 */
export async function startOutpostUi(
  before?: (
    cli: (...args: string[]) => Promise<{ stdout: string; stderr: string }>,
  ) => Promise<void>,
  env: NodeJS.ProcessEnv = {},
): Promise<OutpostUi> {
  const temp = await makeTempDir('ui');
  const dataDir = join(temp.dir, 'data');
  const cli = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(process.execPath, [OUTPOST, ...args, '--data-dir', dataDir], { cwd: ROOT });
  await before?.(cli);
  const opener = join(temp.dir, 'xdg-open');
  await writeFile(
    opener,
    '#!/bin/sh\nprintf \'%s\\n\' "$@" > "$0.args.tmp" && mv "$0.args.tmp" "$0.args"\n',
  );
  await chmod(opener, 0o755);
  const port = await freePort();
  const child: ChildProcess = startProcess(
    process.execPath,
    [OUTPOST, 'ui', '--port', String(port), '--data-dir', dataDir],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        OUTPOST_LOG_LEVEL: 'debug',
        ...env,
        PATH: `${temp.dir}:${process.env.PATH ?? ''}`,
      },
    },
  );
  const output = captureOutput(child);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`outpost ui exited with ${code}:\n${output()}`))),
  );
  exited.catch(() => undefined);
  const started = async (): Promise<{ url: string; openerArgs: string[] }> => {
    const url = await waitFor(
      `outpost ui printed no URL:\n${output()}`,
      async () => /Outpost UI: (http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+)/.exec(output())?.[1],
    );
    const args = await waitFor('outpost ui started no browser', () =>
      readFile(`${opener}.args`, 'utf8').catch(() => undefined),
    );
    return { url, openerArgs: args.trimEnd().split('\n') };
  };
  let url: string;
  let openerArgs: string[];
  try {
    ({ url, openerArgs } = await Promise.race([started(), exited]));
  } catch (error) {
    await stopProcess(child);
    await temp.cleanup();
    throw error;
  }
  let session: Cookie | undefined;
  return {
    url,
    port,
    dataDir,
    openerArgs,
    output,
    cli,
    async signIn(page) {
      if (session === undefined) {
        await page.goto(pathToFileURL(openerArgs[0]!).href);
        await page.waitForURL(`http://127.0.0.1:${port}/`);
        session = (await page.context().cookies()).find(
          (c) => c.name === `outpost_ui_session_${port}`,
        );
        if (session === undefined) throw new Error('signing in set no session cookie');
      } else {
        await page.context().addCookies([session]);
        await page.goto(`http://127.0.0.1:${port}/`);
      }
    },
    async stop() {
      await stopProcess(child);
      await temp.cleanup();
    },
  };
}
