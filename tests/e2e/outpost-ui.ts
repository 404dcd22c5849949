import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { captureOutput, freePort, makeTempDir, startProcess, stopProcess } from '../peers/util.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const OUTPOST = join(ROOT, 'main', 'cli', 'outpost.js');
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
  url: string;
  port: number;
  dataDir: string;
  output(): string;
  /** Runs another `outpost` command on the same data dir. */
  cli(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/**
 * Starts `outpost ui --no-open` on a fresh data dir and waits for the URL it
 * prints; `before` runs CLI commands on that data dir first (e.g. pairing).
 */
export async function startOutpostUi(
  before?: (
    cli: (...args: string[]) => Promise<{ stdout: string; stderr: string }>,
  ) => Promise<void>,
): Promise<OutpostUi> {
  const temp = await makeTempDir('ui');
  const cli = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(process.execPath, [OUTPOST, ...args, '--data-dir', temp.dir], { cwd: ROOT });
  await before?.(cli);
  const port = await freePort();
  const child: ChildProcess = startProcess(
    process.execPath,
    [OUTPOST, 'ui', '--no-open', '--port', String(port), '--data-dir', temp.dir],
    { cwd: ROOT, env: { ...process.env, OUTPOST_LOG_LEVEL: 'debug' } },
  );
  const output = captureOutput(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`outpost ui printed no URL in 30 s:\n${output()}`)),
      30_000,
    );
    const onData = (): void => {
      const match = /Outpost UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(output());
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`outpost ui exited with ${code}:\n${output()}`));
    });
  });
  return {
    url,
    port,
    dataDir: temp.dir,
    output,
    cli,
    async stop() {
      await stopProcess(child);
      await temp.cleanup();
    },
  };
}
