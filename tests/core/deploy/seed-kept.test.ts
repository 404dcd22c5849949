/**
 * A machine-wide seed that an ordinary user's agent may read but not delete
 * still holds its secrets after they moved to the SecretStore: the agent
 * must say so, naming them, at every start while the file stays. Real
 * processes: as root the agent runs as `nobody` (a root-owned 0755 folder,
 * as /etc/outpost is); otherwise the folder is made read-only.
 */
import { execFile } from 'node:child_process';
import { access, chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import type { SeedReport } from '../../../main/core/deploy/apply.ts';
import { makeTempDir } from '../../peers/util.ts';

const CHILD = join(import.meta.dirname, 'seed-apply-child.ts');
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
});

interface ChildOutput {
  reports: SeedReport[];
  notices: Array<{ level: string; title: string; body: string }>;
}

it.skipIf(process.platform === 'win32')(
  'reports a seed whose secrets it cannot remove, naming them, at every start',
  async () => {
    const temp = await makeTempDir('seed-kept');
    cleanup = temp.cleanup;
    const machine = join(temp.dir, 'machine');
    const data = join(temp.dir, 'data');
    await mkdir(machine, { mode: 0o755 });
    await mkdir(data, { mode: 0o700 });
    const seed = join(machine, 'seed.ini');
    await writeFile(
      seed,
      'TENTACLE_SERVER=pandora.example\nTENTACLE_TLS=1\nTENTACLE_PASSWORD=hunter2-secret\n',
      { mode: 0o644 },
    );
    if (asRoot) {
      await chmod(temp.dir, 0o755);
      await chown(data, NOBODY, NOBODY);
    } else {
      await chmod(machine, 0o555);
      cleanup = async () => {
        await chmod(machine, 0o755);
        await temp.cleanup();
      };
    }
    const start = async (): Promise<ChildOutput> => {
      const { stdout } = await promisify(execFile)(process.execPath, [CHILD, data, seed], {
        ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      });
      return JSON.parse(stdout) as ChildOutput;
    };
    const kept = `could not delete the seed file ${seed} (EACCES). It still holds secrets (TENTACLE_PASSWORD): an administrator should delete it; it will not be applied again`;

    const first = await start();
    expect(first.reports).toEqual([
      expect.objectContaining({
        status: 'applied',
        secretsStored: ['target/pandora/password'],
        sourceRemoved: false,
        warnings: [kept],
      }),
    ]);
    expect(first.notices).toEqual([
      expect.objectContaining({ level: 'warning', body: expect.stringContaining(kept) }),
    ]);

    const again = await start();
    expect(again.reports).toEqual([
      expect.objectContaining({
        status: 'already-applied',
        sourceRemoved: false,
        warnings: [kept],
      }),
    ]);
    expect(again.notices).toEqual([
      { level: 'warning', title: 'Installer seed left on disk', body: kept },
    ]);
    await access(seed);
    expect(JSON.stringify([first, again])).not.toContain('hunter2-secret');
  },
  60_000,
);
