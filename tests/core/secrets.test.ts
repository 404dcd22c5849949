import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSecretStore } from '../../main/core/secrets.ts';
import { makeTempDir } from '../peers/util.ts';

const WRITER = join(import.meta.dirname, 'secret-writer.ts');

function write(path: string, prefix: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path, prefix, String(count)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer ${prefix} exited ${code}: ${stderr}`)),
    );
  });
}

describe('FileSecretStore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('secrets'));
  });
  afterEach(async () => {
    await cleanup();
  });

  it('loses no secret when two processes store secrets in it at the same time', async () => {
    const path = join(dir, 'secrets.json');
    const count = 150;
    await Promise.all([write(path, 'a', count), write(path, 'b', count)]);
    const stored = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    const expected = Object.fromEntries(
      ['a', 'b'].flatMap((p) =>
        Array.from({ length: count }, (_, i) => [`${p}/${i}`, `secret ${i}`]),
      ),
    );
    expect(Object.keys(stored).length).toBe(2 * count);
    expect(stored).toEqual(expected);
  }, 60_000);

  it('loses no secret when one process stores several at once', async () => {
    const store = new FileSecretStore(join(dir, 'secrets.json'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`s/${i}`, `v${i}`)));
    expect((await store.list()).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `s/${i}`).sort(),
    );
    await Promise.all([store.delete('s/0'), store.delete('s/1'), store.set('s/20', 'v20')]);
    expect(await store.get('s/0')).toBeUndefined();
    expect(await store.get('s/20')).toBe('v20');
    expect(await store.list()).toHaveLength(19);
  });
});
