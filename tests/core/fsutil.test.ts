import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../main/core/fsutil.ts';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-fsutil-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('survives many writers of one path in the same millisecond: one whole content wins, no temp file left', async () => {
    // Two IdentityStores of one process once shared a temp name (pid + ms):
    // one writer's rename then found its temp file gone (ENOENT in CI).
    const path = join(dir, 'agent.key');
    const contents = Array.from({ length: 40 }, (_, i) => `content ${i} `.repeat(2000));
    await Promise.all(contents.map((c) => writeFileAtomic(path, c, 0o600)));
    expect(contents).toContain(await readFile(path, 'utf8'));
    expect(await readdir(dir)).toEqual(['agent.key']);
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
