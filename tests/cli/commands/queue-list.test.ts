import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir } from '../../peers/util.ts';
import { runCli } from '../run-cli.ts';

interface ListJson {
  items: Array<{ target: string; state: string }>;
  total: number;
  omitted: number;
}

describe('outpost queue list beyond --limit', () => {
  let dir: string;
  let data: string;
  let cleanup: () => Promise<void>;
  const cli = (...args: string[]) => runCli([...args, '--data-dir', data]);

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('queue-list'));
    data = join(dir, 'data');
    // Items stay queued: nothing delivers (no `outpost run`), the port is closed anyway.
    const port = String(await freePort());
    for (const name of ['pandora', 'backup']) {
      const added = await cli('tentacle', 'add', name, '-a', '127.0.0.1', '-p', port);
      expect(added.code, added.stderr).toBe(0);
    }
    const files: string[] = [];
    for (let i = 0; i < 5; i++) {
      files.push(join(dir, `f${i}.txt`));
      await writeFile(files[i]!, `file ${i}\n`);
    }
    expect((await cli('send', '--target', 'pandora', ...files)).code).toBe(0);
    expect((await cli('send', '--target', 'backup', files[0]!)).code).toBe(0);
  }, 60_000);
  afterAll(() => cleanup());

  it('says how many items were left out, in text and in --json', async () => {
    const text = await cli('queue', 'list', '--limit', '2');
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 2 + 1);
    expect(lines.at(-1)).toBe(
      '… 4 more of 6 not shown: narrow with --state/--target or raise --limit (up to 1000).',
    );

    const json = JSON.parse(
      (await cli('queue', 'list', '--limit', '2', '--json')).stdout,
    ) as ListJson;
    expect(json.items).toHaveLength(2);
    expect(json).toMatchObject({ total: 6, omitted: 4 });
  });

  it('counts only the items that match --target and --state', async () => {
    const pandora = JSON.parse(
      (await cli('queue', 'list', '--target', 'pandora', '--limit', '3', '--json')).stdout,
    ) as ListJson;
    expect(pandora).toMatchObject({ total: 5, omitted: 2 });
    expect(pandora.items.every((i) => i.target === 'pandora')).toBe(true);
    const queued = JSON.parse(
      (await cli('queue', 'list', '--state', 'queued', '--limit', '1', '--json')).stdout,
    ) as ListJson;
    expect(queued).toMatchObject({ total: 6, omitted: 5 });
    const delivered = JSON.parse(
      (await cli('queue', 'list', '--state', 'delivered', '--json')).stdout,
    ) as ListJson;
    expect(delivered).toEqual({ items: [], total: 0, omitted: 0 });
  });

  it('says nothing more when every item is shown', async () => {
    const all = await cli('queue', 'list');
    expect(all.stdout).not.toContain('not shown');
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(2 + 6);
    expect(JSON.parse((await cli('queue', 'list', '--json')).stdout)).toMatchObject({
      total: 6,
      omitted: 0,
    });
  });
});
