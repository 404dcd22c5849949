'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
const path = require('node:path');
const { buildCliExecutable, executableDir } = require('./cli-executable.cjs');
const { describeSigning } = require('./signing.cjs');

const ARCH_NAMES = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' };

/**
 * electron-builder `beforePack`: says, before anything is packed, whether this
 * build will be signed, and builds the `outpost` command for the target about
 * to be packed (./cli-executable.cjs; `extraResources` copies it into the app).
 */
exports.default = async function beforePack(context) {
  const platform = context.electronPlatformName;
  console.log(describeSigning(platform));
  const arch = ARCH_NAMES[context.arch] ?? String(context.arch);
  const root = context.packager.projectDir ?? path.join(__dirname, '..', '..');
  const cli = await buildCliExecutable({
    platform,
    arch,
    dir: executableDir(root, platform, arch),
  });
  if (cli.path === undefined)
    console.log(
      `[outpost] ${platform}-${arch}: packing WITHOUT the outpost command: ${cli.reason}`,
    );
};
