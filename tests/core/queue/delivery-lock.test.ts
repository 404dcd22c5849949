/**
 * The delivery lock between real `outpost run` processes on one data
 * directory, delivering files to the reference Tentacle server: one delivers,
 * the other waits and says so; a holder killed with SIGKILL hands over; a
 * lock left with a live unrelated pid or half-written does not block and does
 * not let two deliver. The server counts every SEND it sees.
 */
import type { ChildProcess } from 'node:child_process';

import { readFile, writeFile } from 'node:fs/promises';

import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { CLI, runCli } from '../../cli/run-cli.ts';

import { TentacleServer } from '../../peers/tentacle-server.ts';

import { captureOutput, makeTempDir, startProcess, stopProcess } from '../../peers/util.ts';
import { eventually } from '../../poll.ts';

const WAITING = 'another Outpost process delivers from this data directory; waiting to take over';
const DELIVERING = 'this process delivers from this data directory';

let dir: string;
let cleanup: () => Promise<void>;
let server: TentacleServer;
const started: ChildProcess[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('delivery-lock'));
  server = await TentacleServer.start({ dir: join(dir, 'incoming'), overwrite: true });
});
afterEach(async () => {
  for (const child of started.splice(0)) await stopProcess(child);
});
afterAll(async () => {
  await server.stop();
  await cleanup();
});

/** A data directory with the Tentacle target `pandora`. */
async function dataDir(name: string): Promise<string> {
  const data = join(dir, name);
  const add = await runCli([
    'tentacle',
    'add',
    'pandora',
    '-a',
    '127.0.0.1',
    '-p',
    String(server.port),
    '--data-dir',
    data,
  ]);
  expect(add.code, add.stderr).toBe(0);
  return data;
}

function run(data: string): { child: ChildProcess; output: () => string } {
  const child = startProcess(process.execPath, [CLI, 'run', '--data-dir', data]);
  started.push(child);
  return { child, output: captureOutput(child) };
}

async function logLines(
  data: string,
): Promise<Array<{ message: string; fields?: { pid?: number } }>> {
  let text: string;
  try {
    text = await readFile(join(data, 'logs', 'outpost.log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message: string; fields?: { pid?: number } });
}

async function logged(data: string, message: string, pid: number | undefined): Promise<boolean> {
  return (await logLines(data)).some((l) => l.message === message && l.fields?.pid === pid);
}

async function stats(data: string): Promise<{ deliveringPid?: number; delivered: number }> {
  const result = await runCli(['queue', 'stats', '--data-dir', data, '--json']);
  expect(result.code, result.stderr).toBe(0);
  const parsed = JSON.parse(result.stdout) as {
    deliveringPid?: number;
    totals: { delivered: number };
  };
  return { deliveringPid: parsed.deliveringPid, delivered: parsed.totals.delivered };
}

/** Queues one file per name (through `outpost send`, a third process). */
async function send(data: string, names: string[]): Promise<void> {
  for (const name of names) await writeFile(join(dir, name), `${name}\n`.repeat(500));
  const result = await runCli([
    'send',
    '--target',
    'pandora',
    ...names.map((n) => join(dir, n)),
    '--data-dir',
    data,
  ]);
  expect(result.code, result.stderr).toBe(0);
}

/** How many times the server was sent each file. */
function sendCounts(names: string[]): number[] {
  const all = server.connections.map((c) => c.clientBytes().toString('latin1')).join('\n');
  return names.map((name) => all.split(`SEND <${name}> SIZE `).length - 1);
}

const batch = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}-${i}.data`);

describe('two `outpost run` on one data directory', () => {
  it('deliver one at a time: the second waits and says so, and takes over when the first is killed with SIGKILL', async () => {
    const data = await dataDir('two');
    const first = run(data);
    await eventually(async () => (await stats(data)).deliveringPid === first.child.pid, {
      timeout: 30_000,
      interval: 100,
      what: 'the first process delivers',
      context: first.output,
    });
    const second = run(data);
    await eventually(() => logged(data, WAITING, second.child.pid), {
      timeout: 30_000,
      interval: 100,
      what: 'the second process reports it is waiting for the lock',
      context: second.output,
    });

    const before = batch('two-a', 6);
    await send(data, before);
    await eventually(async () => (await stats(data)).delivered === 6, {
      timeout: 30_000,
      interval: 100,
      what: '6 delivered',
    });
    expect(sendCounts(before)).toEqual(before.map(() => 1));
    expect((await stats(data)).deliveringPid).toBe(first.child.pid);
    expect(await logged(data, DELIVERING, second.child.pid)).toBe(false);

    process.kill(-first.child.pid!, 'SIGKILL');
    await eventually(() => logged(data, DELIVERING, second.child.pid), {
      timeout: 30_000,
      interval: 100,
      what: 'the second process takes over',
      context: second.output,
    });
    const after = batch('two-b', 6);
    await send(data, after);
    await eventually(async () => (await stats(data)).delivered === 12, {
      timeout: 30_000,
      interval: 100,
      what: '12 delivered',
    });
    expect(sendCounts([...before, ...after])).toEqual([...before, ...after].map(() => 1));
    expect((await stats(data)).deliveringPid).toBe(second.child.pid);
  }, 120_000);

  it('are not blocked by a lock that names a live unrelated process (a pid reused after a reboot)', async () => {
    const data = await dataDir('reused');
    // The test runner is alive and is no Outpost delivering here: what a pid
    // left in a lock file points to once a reboot hands it to another program.
    await writeFile(join(data, 'delivery.lock'), String(process.pid));
    await writeFile(join(data, 'delivery-owner.json'), JSON.stringify({ pid: process.pid }));
    const outpost = run(data);
    const names = batch('reused', 3);
    await send(data, names);
    await eventually(async () => (await stats(data)).delivered === 3, {
      timeout: 30_000,
      interval: 100,
      what: '3 delivered',
      context: outpost.output,
    });
    expect(sendCounts(names)).toEqual([1, 1, 1]);
    expect((await stats(data)).deliveringPid).toBe(outpost.child.pid);
  }, 120_000);

  it('do not both deliver when the second finds the lock files half-written', async () => {
    const data = await dataDir('half');
    const first = run(data);
    await eventually(async () => (await stats(data)).deliveringPid === first.child.pid, {
      timeout: 30_000,
      interval: 100,
      what: 'the first process delivers',
      context: first.output,
    });
    // What a reader sees between a writer's create and its write: an empty
    // pid file, half a JSON document.
    await writeFile(join(data, 'delivery.lock'), '');
    await writeFile(join(data, 'delivery-owner.json'), '{"pi');
    const second = run(data);
    await eventually(() => logged(data, WAITING, second.child.pid), {
      timeout: 30_000,
      interval: 100,
      what: 'the second process reports it is waiting for the lock',
      context: second.output,
    });
    const names = batch('half', 6);
    await send(data, names);
    await eventually(async () => (await stats(data)).delivered === 6, {
      timeout: 30_000,
      interval: 100,
      what: '6 delivered',
    });
    expect(sendCounts(names)).toEqual(names.map(() => 1));
    expect(await logged(data, DELIVERING, second.child.pid)).toBe(false);
  }, 120_000);
});
