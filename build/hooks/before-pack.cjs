'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
const { describeSigning } = require('./signing.cjs');

/** electron-builder `beforePack`: says, before anything is packed, whether this build will be signed. */
exports.default = async function beforePack(context) {
  console.log(describeSigning(context.electronPlatformName));
};
