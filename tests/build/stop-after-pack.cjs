'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its hooks. */
const fs = require('node:fs');
const path = require('node:path');

/**
 * An `afterPack` hook for tests (tests/build/packaging.test.ts): records what
 * the packed app's resources hold and which targets the run builds, then stops
 * the build, before the installer itself (NSIS, WiX) would need tools that
 * cannot be downloaded here. electron-builder runs its own afterPack handlers
 * (app-update.yml) before the configured hook.
 */
exports.default = async function stopAfterPack(context) {
  const resources = path.join(context.appOutDir, 'resources');
  fs.writeFileSync(
    process.env.OUTPOST_PACK_PROBE,
    JSON.stringify({
      targets: context.targets.map((t) => t.name),
      resources: fs.readdirSync(resources).sort(),
    }),
  );
  throw new Error('[outpost-test] stopped after pack');
};
