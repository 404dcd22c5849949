import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

/**
 * The `outpost` command as the build emits it (main/cli/vite.config.ts), which
 * the suite's CLI tests run (issue #17: "run the suite's CLI tests through the
 * built bin, not the sources"). Built once per content of its inputs into
 * .outpost-test/cli-<hash>/ rather than out/cli: the packaging test rebuilds
 * out/ while other test files run, and a CLI test must never see it half
 * written. Same depth as out/cli, so the bin's relative paths (the pinned
 * Node 24, node_modules for zeromq) resolve the same.
 */
const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '..', '..');

/** What the bundle is made of: the sources it bundles, its config and the dependencies' versions. */
async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile())
        hash.update(`${relative(ROOT, path)}\0`).update(await readFile(path));
    }
  };
  await walk(join(ROOT, 'main'));
  for (const file of ['package.json', 'package-lock.json'])
    hash.update(`${file}\0`).update(await readFile(join(ROOT, file)));
  return hash.digest('hex').slice(0, 16);
}

/** Builds the CLI into `outDir` with the project's own build configuration. */
export async function buildCli(outDir: string): Promise<void> {
  await run(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      join(ROOT, 'main', 'cli', 'vite.config.ts'),
      '--outDir',
      outDir,
    ],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
}

/** The path of the built bin (outpost.js), building it first if the sources changed since. */
export async function ensureBuiltCli(): Promise<string> {
  const base = join(ROOT, '.outpost-test');
  const dir = join(base, `cli-${await inputsHash()}`);
  const bin = join(dir, 'outpost.js');
  if (existsSync(bin)) return bin;
  const staging = `${dir}.${process.pid}.tmp`;
  await buildCli(staging);
  try {
    await rename(staging, dir);
  } catch (error) {
    // Another run built the same sources meanwhile: theirs is as good.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(bin)) throw error;
  }
  // Builds of older sources, unless a run that may still use one started less than a day ago.
  for (const name of await readdir(base)) {
    const old = join(base, name);
    if (!name.startsWith('cli-') || old === dir) continue;
    if (Date.now() - (await stat(old)).mtimeMs > 86_400_000)
      await rm(old, { recursive: true, force: true });
  }
  return bin;
}
