'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
/**
 * The .deb (`npm run dist:linux`), the Linux package (issue #15 item 4):
 * electron-builder 26 installs an AppArmor profile with it (FpmTarget,
 * resources/apparmor-profile, electron-builder#8635), which Ubuntu 24.04+
 * needs for Chromium's sandbox, where an AppImage aborts (electron/electron#42510).
 *
 * No update feed (item 9): electron-builder 26.17 writes app-update.yml and
 * package-type=deb into the .deb from the platform's publish setting (its
 * getAppUpdatePublishConfiguration ignores `deb.publish`), and electron-updater
 * would then pick its DebUpdater, which installs through pkexec/sudo. apt
 * updates the .deb; only the AppImage (the main configuration) updates itself.
 */
const base = require('./electron-builder.config.cjs');

module.exports = {
  ...base,
  linux: { ...base.linux, target: [{ target: 'deb', arch: ['x64', 'arm64'] }], publish: null },
  // /usr/bin/outpost is the `outpost` command (issue #17), not the desktop app (its menu entry
  // starts /opt/Outpost/outpost): electron-builder's own maintainer scripts with that one link
  // changed (tests/build/config.test.ts compares them with electron-builder's).
  deb: {
    ...base.deb,
    afterInstall: 'build/linux/after-install.tpl',
    afterRemove: 'build/linux/after-remove.tpl',
  },
};
