'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
const path = require('node:path');
const { existsSync, readFileSync } = require('node:fs');
const { binaryTarget, foreignNativeModules, listNativeModules } = require('./native-binaries.cjs');

const ARCH_NAMES = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' };

/**
 * electron-builder `afterPack`: the packed app must carry only native modules
 * built for the platform and CPU it targets (zeromq ships every platform's
 * prebuilds; the `files` filters keep one, this proves it), and so must the
 * `outpost` command beforePack built for it (./cli-executable.cjs).
 */
exports.default = async function afterPack(context) {
  const platform = context.electronPlatformName;
  const arch = ARCH_NAMES[context.arch] ?? String(context.arch);
  const resources =
    platform === 'darwin'
      ? path.join(
          context.appOutDir,
          `${context.packager.appInfo.productFilename}.app`,
          'Contents',
          'Resources',
        )
      : path.join(context.appOutDir, 'resources');
  const unpacked = path.join(resources, 'app.asar.unpacked');
  const natives = listNativeModules(unpacked);
  const foreign = arch === 'universal' ? [] : foreignNativeModules(unpacked, platform, arch);
  if (foreign.length > 0) {
    throw new Error(
      `[outpost] the ${platform}-${arch} app contains native modules for other targets:\n` +
        foreign
          .map((f) => `  ${path.relative(unpacked, f.file)} (${f.target.os}-${f.target.arch})`)
          .join('\n'),
    );
  }
  console.log(
    `[outpost] ${platform}-${arch}: ${natives.length} native module(s), all built for this target`,
  );
  const cli = path.join(resources, 'bin', platform === 'win32' ? 'outpost.exe' : 'outpost');
  if (!existsSync(cli)) return;
  const built = binaryTarget(readFileSync(cli));
  if (built.os !== platform || (arch !== 'universal' && built.arch !== arch))
    throw new Error(
      `[outpost] ${cli} is built for ${built.os}-${built.arch}, not ${platform}-${arch}`,
    );
  console.log(
    `[outpost] ${platform}-${arch}: the outpost command is ${path.relative(context.appOutDir, cli)}`,
  );
};
