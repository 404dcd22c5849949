#!/usr/bin/env node
// The `outpost` command. From the sources (`npm run outpost:dev`) it runs this
// file; the build (main/cli/vite.config.ts) bundles it into out/cli/outpost.js,
// which package.json `bin` runs. Outpost runs on Node 24 (the runtime Electron
// 45 embeds): when started by an older system node, re-run with the project's
// pinned Node 24 (npm package `node`) if it is installed next to us. This part
// must parse on any Node that supports ES modules: plain JavaScript, no types.
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCacheDir } from './compile-cache.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  // Imported here only: node:child_process alone costs every start ~10 ms (issue #17).
  const { spawnSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const here = dirname(fileURLToPath(import.meta.url));
  const pinned = join(here, '..', '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    process.stderr.write(
      `outpost: needs Node.js 24 or newer (this is ${process.version}); run 'npm ci' in the Outpost folder or install Node 24\n`,
    );
    process.exit(1);
  }
  const result = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}

// V8's compiled code kept between runs, in the user's own cache folder (see compile-cache.js).
module.enableCompileCache?.(compileCacheDir());
const { main } = await import('./index.ts');
process.exitCode = await main(process.argv.slice(2));
