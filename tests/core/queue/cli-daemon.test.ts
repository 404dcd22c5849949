import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../cli/run-cli.ts';
import { TentacleServer } from '../../peers/tentacle-server.ts';
import { makeTempDir, sleep, startProcess, stopProcess } from '../../peers/util.ts';

describe('the CLI enqueues while `outpost run` delivers from the same data dir', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let server: TentacleServer;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('cli-daemon'));
    server = await TentacleServer.start({ dir: join(dir, 'incoming'), record: false });
  });
  afterAll(async () => {
    await server.stop();
    await cleanup();
  });

  it('delivers files queued by separate CLI processes to a Tentacle server, exactly once, with one delivering process', async () => {
    const data = join(dir, 'data');
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
    expect(add.stderr + add.stdout).not.toMatch(/error/i);
    expect(add.code).toBe(0);

    const daemon = startProcess(process.execPath, [CLI, 'run', '--data-dir', data]);
    const second = startProcess(process.execPath, [CLI, 'run', '--data-dir', data]);
    try {
      const names: string[] = [];
      for (let i = 0; i < 6; i++) {
        const name = `agent${i}.data`;
        await writeFile(join(dir, name), `payload ${i}\n`.repeat(1000 + i));
        names.push(name);
      }
      const results = await Promise.all(
        [names.slice(0, 3), names.slice(3)].map((batch) =>
          runCli([
            'send',
            '--target',
            'pandora',
            ...batch.map((n) => join(dir, n)),
            '--data-dir',
            data,
            '--json',
          ]),
        ),
      );
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const ids = results.flatMap((r) =>
        (JSON.parse(r.stdout) as Array<{ id: string }>).map((i) => i.id),
      );
      expect(ids).toHaveLength(6);

      const deadline = Date.now() + 30_000;
      for (;;) {
        const stats = JSON.parse(
          (await runCli(['queue', 'stats', '--data-dir', data, '--json'])).stdout,
        ) as {
          totals: { delivered: number };
          deliveringPid: number;
        };
        if (stats.totals.delivered === 6) {
          expect([daemon.pid, second.pid]).toContain(stats.deliveringPid);
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`not delivered in time: ${JSON.stringify(stats)}`);
        await sleep(200);
      }
      expect((await readdir(join(dir, 'incoming'))).sort()).toEqual([...names].sort());
      for (const name of names) {
        expect(await readFile(join(dir, 'incoming', name), 'utf8')).toBe(
          await readFile(join(dir, name), 'utf8'),
        );
      }
      const list = JSON.parse(
        (await runCli(['queue', 'list', '--state', 'delivered', '--data-dir', data, '--json']))
          .stdout,
      ) as { items: unknown[]; total: number; omitted: number };
      expect(list).toMatchObject({ total: 6, omitted: 0 });
      expect(list.items).toHaveLength(6);
    } finally {
      await stopProcess(daemon);
      await stopProcess(second);
    }
  }, 90_000);

  it('rejects bad CLI input with usage errors naming the flag', async () => {
    const data = join(dir, 'data2');
    const noTarget = await runCli(['send', join(dir, 'x'), '--data-dir', data]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('--target is required');
    const badState = await runCli([
      'check-result',
      '--target',
      't',
      '--host',
      'h',
      '--state',
      '7',
      '--output',
      'x',
      '--data-dir',
      data,
    ]);
    expect(badState.code).toBe(2);
    expect(badState.stderr).toContain('--state must be 0 (OK)');
    const unknown = await runCli(['queue', 'list', '--state', 'lost', '--data-dir', data]);
    expect(unknown.code).toBe(2);
    const missing = await runCli(['queue', 'show', 'nope', '--data-dir', data, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: 'not-found', field: 'id' } });
  });
});
