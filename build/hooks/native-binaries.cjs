'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
const fs = require('node:fs');
const path = require('node:path');

/**
 * Which OS and CPU a native module was built for, read from its header
 * (ELF e_machine, PE machine, Mach-O cputype), so a packed app can be checked
 * for foreign binaries whatever folder they hide in.
 */
function binaryTarget(bytes) {
  if (bytes.length >= 20 && bytes.readUInt32BE(0) === 0x7f454c46) {
    const littleEndian = bytes[5] === 1;
    const machine = littleEndian ? bytes.readUInt16LE(18) : bytes.readUInt16BE(18);
    return {
      os: 'linux',
      arch:
        { 0x3e: 'x64', 0xb7: 'arm64', 0x03: 'ia32', 0x28: 'armv7l' }[machine] ?? `elf-${machine}`,
    };
  }
  if (bytes.length >= 64 && bytes[0] === 0x4d && bytes[1] === 0x5a) {
    const pe = bytes.readUInt32LE(0x3c);
    if (pe + 6 <= bytes.length && bytes.readUInt32BE(pe) === 0x50450000) {
      const machine = bytes.readUInt16LE(pe + 4);
      return {
        os: 'win32',
        arch: { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' }[machine] ?? `pe-${machine}`,
      };
    }
  }
  if (bytes.length >= 8 && bytes.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = bytes.readUInt32LE(4);
    return {
      os: 'darwin',
      arch: { 0x01000007: 'x64', 0x0100000c: 'arm64' }[cpu] ?? `macho-${cpu}`,
    };
  }
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xcafebabe)
    return { os: 'darwin', arch: 'universal' };
  return { os: 'unknown', arch: 'unknown' };
}

function listNativeModules(root) {
  const found = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.node')) found.push(full);
    }
  };
  walk(root);
  return found.sort();
}

/** Every `.node` under `root` that was not built for `os`/`arch` (a universal Mach-O fits any mac arch). */
function foreignNativeModules(root, os, arch) {
  return listNativeModules(root)
    .map((file) => {
      const fd = fs.openSync(file, 'r');
      const head = Buffer.alloc(4096);
      const length = fs.readSync(fd, head, 0, head.length, 0);
      fs.closeSync(fd);
      return { file, target: binaryTarget(head.subarray(0, length)) };
    })
    .filter(
      ({ target }) =>
        target.os !== os ||
        (target.arch !== arch && !(os === 'darwin' && target.arch === 'universal')),
    );
}

module.exports = { binaryTarget, listNativeModules, foreignNativeModules };
