import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../../cli/run-cli.ts';
import { captureOutput, makeTempDir, sleep, startProcess, stopProcess } from '../../peers/util.ts';

describe('outpost run applies an installer seed on start', () => {
  it('applies the seed in the data dir before running, and reports it', async () => {
    const temp = await makeTempDir('outpost-seed-run-');
    try {
      await writeFile(join(temp.dir, 'seed.ini'), '[seed]\nAUTO_UPDATE=0\nAGENT_NAME=ws-seeded\n');
      const child = startProcess(process.execPath, [CLI, 'run', '--data-dir', temp.dir]);
      const output = captureOutput(child);
      try {
        for (let i = 0; i < 200 && !output().includes('installer seed'); i++) await sleep(50);
      } finally {
        await stopProcess(child, 'SIGINT');
      }
      expect(output()).toContain(`installer seed ${join(temp.dir, 'seed.ini')}: applied`);
      const settings = JSON.parse(await readFile(join(temp.dir, 'settings.json'), 'utf8')) as {
        agent: { autoUpdate: boolean; name: string };
      };
      expect(settings.agent).toMatchObject({ autoUpdate: false, name: 'ws-seeded' });
      await expect(access(join(temp.dir, 'seed.ini'))).rejects.toThrow();
      expect(await readFile(join(temp.dir, 'seed.applied.ini'), 'utf8')).toContain(
        'AGENT_NAME=ws-seeded',
      );
    } finally {
      await temp.cleanup();
    }
  });
});
