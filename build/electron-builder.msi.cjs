'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
/**
 * The MSI (`npm run dist:msi`), for GPO / Intune / SCCM: built by a run of its
 * own, with no update feed (issue #15 item 10). electron-builder packs the app
 * once per run and writes resources/app-update.yml into it when an NSIS target
 * is in the run (app-builder-lib PublishManager, isSuitableWindowsTarget): an
 * MSI built alongside NSIS would carry it and update itself through the NSIS
 * installer, adding a per-user copy next to the per-machine one. MSI installs
 * are updated from the MSI channel: the next MSI, deployed the same way.
 * `outpostBuild.package` tells main/shell/update-policy.ts it is an MSI.
 */
const base = require('./electron-builder.config.cjs');

module.exports = {
  ...base,
  extraMetadata: {
    ...base.extraMetadata,
    outpostBuild: { ...base.extraMetadata.outpostBuild, package: 'msi' },
  },
  win: { ...base.win, target: [{ target: 'msi', arch: ['x64', 'arm64'] }], publish: null },
};
