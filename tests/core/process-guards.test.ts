/**
 * The stray-rejection guard (main/core/process-guards.ts) in real processes:
 * Node 24 ends a process on an unhandled rejection; with the guard the
 * rejection is logged and the process keeps serving. `outpost run` and
 * `outpost ui` install it.
 */
import { spawn } from 'node:child_process';

import { readFile, writeFile } from 'node:fs/promises';

import { join } from 'node:path';

import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { CLI } from '../cli/run-cli.ts';

import { captureOutput, makeTempDir, startProcess, stopProcess } from '../peers/util.ts';
import { eventually } from '../poll.ts';

const GUARDS = join(import.meta.dirname, '..', '..', 'main', 'core', 'process-guards.ts');
const TRIGGER = join(import.meta.dirname, 'fixtures', 'stray-rejection-on-sigusr2.mjs');

function runNode(...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = captureOutput(child);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output: output() }));
  });
}

describe('process guards', () => {
  it('log a stray rejection and keep the process running (without them Node 24 exits)', async () => {
    const temp = await makeTempDir('guards');
    try {
      const script = join(temp.dir, 'stray.ts');
      await writeFile(
        script,
        `import { installProcessGuards } from ${JSON.stringify(pathToFileURL(GUARDS).href)};
if (process.argv.includes('--guarded'))
  installProcessGuards({ error: (message, fields) => console.log(JSON.stringify({ message, ...fields })) });
void Promise.reject(new Error('lost in the background'));
setTimeout(() => console.log('still serving'), 50);
`,
      );
      const unguarded = await runNode(script);
      expect(unguarded.code).toBe(1);
      expect(unguarded.output).not.toContain('still serving');

      const guarded = await runNode(script, '--guarded');
      expect(guarded.code).toBe(0);
      const logged = JSON.parse(guarded.output.split('\n')[0]!) as Record<string, string>;
      expect(logged.message).toMatch(/unhandled promise rejection/);
      expect(logged.error).toBe('lost in the background');
      expect(logged.stack).toContain('stray.ts');
      expect(guarded.output).toContain('still serving');
    } finally {
      await temp.cleanup();
    }
  });

  for (const args of [['run'], ['ui', '--no-open']]) {
    it(`outpost ${args[0]} logs a stray rejection and keeps running until stopped`, async () => {
      const temp = await makeTempDir(`guards-${args[0]}`);
      // `outpost ui` serves this folder; the page itself plays no part here.
      await writeFile(join(temp.dir, 'index.html'), '<!doctype html><title>Outpost</title>');
      const child = startProcess(process.execPath, [CLI, ...args, '--data-dir', temp.dir], {
        env: {
          ...process.env,
          NODE_OPTIONS: `--import=${pathToFileURL(TRIGGER).href}`,
          OUTPOST_UI_DIR: temp.dir,
        },
      });
      const output = captureOutput(child);
      const log = join(temp.dir, 'logs', 'outpost.log');
      try {
        await eventually(() => /running/.test(output()), {
          timeout: 15_000,
          what: `outpost ${args[0]} to start`,
          context: output,
        });
        process.kill(child.pid!, 'SIGUSR2');
        await eventually(
          async () => {
            if (child.exitCode !== null)
              throw new Error(`outpost ${args[0]} exited with ${child.exitCode}:\n${output()}`);
            return (await readFile(log, 'utf8').catch(() => '')).includes('stray rejection');
          },
          { timeout: 15_000, what: 'the logged rejection', context: output },
        );
        const line = (await readFile(log, 'utf8'))
          .split('\n')
          .find((l) => l.includes('stray rejection'))!;
        expect(JSON.parse(line)).toMatchObject({
          level: 'error',
          message: expect.stringMatching(/unhandled promise rejection/),
          fields: { error: 'stray rejection from the test' },
        });
        expect(child.exitCode).toBeNull();
        const exited = new Promise<number | null>((resolve) =>
          child.once('exit', (code) => resolve(code)),
        );
        await stopProcess(child, 'SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        await stopProcess(child, 'SIGKILL');
        await temp.cleanup();
      }
    });
  }
});
