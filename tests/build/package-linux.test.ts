import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUpdateFeed, updateDecision } from '../../main/shell/update-policy.ts';
import { makeTempDir } from '../peers/util.ts';

/**
 * The packaging dry run (issue #9 "Checks that run here"): `npm run dist:linux -- --dir`
 * with the real configuration, hooks and dependencies. Electron's runtime cannot
 * be downloaded here, so electronDist points at a stand-in folder with an
 * `electron` file that carries a fuse wire (the bytes @electron/fuses looks for),
 * which also shows that the fuses get flipped.
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as {
  listPackage(archive: string, options?: object): string[];
  extractFile(archive: string, file: string): Buffer;
  extractAll(archive: string, dest: string): void;
};
const { binaryTarget, listNativeModules, foreignNativeModules } = require(join(ROOT, 'build', 'hooks', 'native-binaries.cjs')) as {
  binaryTarget(bytes: Buffer): { os: string; arch: string };
  listNativeModules(root: string): string[];
  foreignNativeModules(root: string, os: string, arch: string): Array<{ file: string; target: { os: string; arch: string } }>;
};

// @electron/fuses: sentinel, wire version 1, length 8, then one byte per fuse ('0' off, '1' on).
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSE_ORDER = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges',
];
const ELECTRON_DEFAULT_WIRE = '10110001';
const UPDATE_URL = 'https://updates.example.org/outpost';

async function fakeElectronDist(dir: string): Promise<void> {
  await mkdir(join(dir, 'resources'), { recursive: true });
  await mkdir(join(dir, 'locales'), { recursive: true });
  const electron = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stand-in for the Electron runtime"\nexit 0\n# '),
    Buffer.from(FUSE_SENTINEL, 'latin1'),
    Buffer.from([1, FUSE_ORDER.length]),
    Buffer.from(ELECTRON_DEFAULT_WIRE, 'latin1'),
    Buffer.from('\n'),
  ]);
  await writeFile(join(dir, 'electron'), electron);
  await chmod(join(dir, 'electron'), 0o755);
  const version = (JSON.parse(await readFile(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  await writeFile(join(dir, 'version'), version);
  await writeFile(join(dir, 'LICENSE'), 'Electron license stand-in\n');
  await writeFile(join(dir, 'LICENSES.chromium.html'), '<html></html>\n');
  await writeFile(join(dir, 'locales', 'en-US.pak'), '');
}

function fuses(binary: Buffer): Record<string, boolean> {
  const at = binary.indexOf(FUSE_SENTINEL, 0, 'latin1') + FUSE_SENTINEL.length;
  const wire = binary.subarray(at + 2, at + 2 + binary[at + 1]!).toString('latin1');
  return Object.fromEntries(FUSE_ORDER.map((name, i) => [name, wire[i] === '1']));
}

describe('npm run dist:linux -- --dir (packaging dry run)', () => {
  let temp: { dir: string; cleanup(): Promise<void> };
  let appDir: string;
  let archive: string;
  let unpacked: string;
  let files: string[];
  let log: string;

  beforeAll(async () => {
    temp = await makeTempDir('outpost-dist-');
    const electronDist = join(temp.dir, 'electron-dist');
    await fakeElectronDist(electronDist);
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };
    for (const key of Object.keys(env)) if (/^(CSC_|WIN_CSC_|APPLE_|AZURE_|GH_TOKEN|GITHUB_)/.test(key)) delete env[key];
    // A feed makes electron-builder write resources/app-update.yml, which the updater reads.
    env.OUTPOST_UPDATE_URL = UPDATE_URL;
    const result = await run(
      'npm',
      ['run', 'dist:linux', '--', '--dir', '--publish', 'never', `-c.electronDist=${electronDist}`, `-c.directories.output=${join(temp.dir, 'dist')}`],
      { cwd: ROOT, env, maxBuffer: 32 * 1024 * 1024 },
    );
    log = `${result.stdout}\n${result.stderr}`;
    appDir = join(temp.dir, 'dist', 'linux-unpacked');
    archive = join(appDir, 'resources', 'app.asar');
    unpacked = join(appDir, 'resources', 'app.asar.unpacked');
    files = asar.listPackage(archive).map((f) => f.split(sep).join('/'));
  }, 240_000);

  afterAll(async () => temp?.cleanup());

  it('packs the built main, preload and renderer, and the app manifest points at the main bundle', () => {
    for (const file of ['/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/package.json']) {
      expect(files).toContain(file);
    }
    expect(files.some((f) => /^\/out\/renderer\/assets\/index-[\w-]+\.js$/.test(f))).toBe(true);
    const manifest = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as Record<string, unknown>;
    expect(manifest.main).toBe('out/main/index.js');
    expect(manifest.type).toBe('module');
    expect(manifest.scripts).toBeUndefined();
  });

  it('packs no sources, tests, maps, type files or tooling', () => {
    const outsideNodeModules = files.filter((f) => !f.startsWith('/node_modules/') && f !== '/node_modules');
    expect(outsideNodeModules.filter((f) => !f.startsWith('/out') && f !== '/package.json')).toEqual([]);
    expect(files.filter((f) => /\.(ts|tsx|mts|cts|map|tsbuildinfo)$/.test(f))).toEqual([]);
    expect(files.filter((f) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(f))).toEqual([]);
    expect(files.filter((f) => /^\/node_modules\/(vitest|vite|electron|electron-builder|typescript|eslint|react|react-dom|node-addon-api)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /^\/node_modules\/zeromq\/(src|script)\//.test(f))).toEqual([]);
  });

  it('packs the production dependencies the main process imports', () => {
    for (const dep of ['zod', 'zeromq', 'node-forge', 'amqplib', 'electron-store', 'electron-updater', 'electron-log', 'conf', 'ws']) {
      expect(files).toContain(`/node_modules/${dep}/package.json`);
    }
  });

  it('unpacks every native module, and only linux-x64 ones (checked on the binaries themselves)', async () => {
    expect(files.filter((f) => f.endsWith('.node'))).toEqual(
      // Listed in the archive header but stored in app.asar.unpacked.
      files.filter((f) => f.endsWith('.node')).filter((f) => f.includes('/zeromq/build/linux/x64/')),
    );
    const natives = listNativeModules(unpacked);
    expect(natives.length).toBeGreaterThan(0);
    for (const file of natives) {
      expect(relative(unpacked, file).split(sep).join('/')).toMatch(/^node_modules\/zeromq\/build\/linux\/x64\/node\/glibc-\d+-Release\/addon\.node$/);
      expect(binaryTarget(await readFile(file))).toEqual({ os: 'linux', arch: 'x64' });
    }
    const zeromqBuild = await readdir(join(unpacked, 'node_modules', 'zeromq', 'build'));
    expect(zeromqBuild.sort()).toEqual(['linux', 'manifest.json']);
    expect(await readdir(join(unpacked, 'node_modules', 'zeromq', 'build', 'linux'))).toEqual(['x64']);
    expect(log).toMatch(/\[outpost\] linux-x64: \d+ native module\(s\), all built for this target/);
  });

  it('the packed zeromq loads its addon from the unpacked folder and opens a socket', async () => {
    const extracted = join(temp.dir, 'extracted');
    asar.extractAll(archive, extracted);
    const script = `const zmq = require(${JSON.stringify(join(extracted, 'node_modules', 'zeromq'))});
      const socket = new zmq.Dealer(); socket.close(); process.stdout.write(zmq.version);`;
    const { stdout } = await run(process.execPath, ['-e', script]);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('flips the Electron fuses that keep the app from being used as a Node runtime', async () => {
    const state = fuses(await readFile(join(appDir, 'outpost')));
    expect(state).toMatchObject({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      GrantFileProtocolExtraPrivileges: false,
    });
  });

  it('ships the tray icons where the shell looks for them, and says the build is unsigned', async () => {
    const trayFiles = await readdir(join(appDir, 'resources', 'build'));
    for (const state of ['ok', 'busy', 'bad']) {
      expect(trayFiles).toEqual(expect.arrayContaining([`tray-${state}.png`, `tray-${state}@2x.png`, `tray-${state}Template.png`, `tray-${state}Template@2x.png`]));
    }
    expect(log).toContain('[outpost] signing for linux: AppImage and deb are not signed');
  });

  it('writes the update feed the updater reads, and the policy accepts it on Linux but not unsigned on Windows', async () => {
    const feed = parseUpdateFeed(await readFile(join(appDir, 'resources', 'app-update.yml'), 'utf8'));
    expect(feed).toEqual({ provider: 'generic', url: UPDATE_URL });
    expect(updateDecision({ isPackaged: true, platform: 'linux', settingEnabled: true, feed }).check).toBe(true);
    expect(updateDecision({ isPackaged: true, platform: 'win32', settingEnabled: true, feed })).toEqual({
      check: false,
      reason: 'this Windows build is unsigned, so an update signature could not be checked',
    });
  });
});

describe('native binary check (the afterPack guard)', () => {
  it('reads OS and CPU from the headers of the addons zeromq ships', async () => {
    const build = join(ROOT, 'node_modules', 'zeromq', 'build');
    const read = (p: string) => readFile(join(build, p)).then(binaryTarget);
    expect(await read('linux/x64/node/glibc-127-Release/addon.node')).toEqual({ os: 'linux', arch: 'x64' });
    expect(await read('linux/arm64/node/glibc-127-Release/addon.node')).toEqual({ os: 'linux', arch: 'arm64' });
    expect(await read('win32/x64/node/msvc-115-Release/addon.node')).toEqual({ os: 'win32', arch: 'x64' });
    expect(await read('win32/arm64/node/msvc-115-Release/addon.node')).toEqual({ os: 'win32', arch: 'arm64' });
    expect(await read('darwin/arm64/node/libc-115-Release/addon.node')).toEqual({ os: 'darwin', arch: 'arm64' });
    expect(await read('darwin/x64/node/libc-115-Release/addon.node')).toEqual({ os: 'darwin', arch: 'x64' });
  });

  it('flags every foreign addon in an unfiltered zeromq', () => {
    const build = join(ROOT, 'node_modules', 'zeromq', 'build');
    const foreign = foreignNativeModules(build, 'linux', 'x64').map((f) => relative(build, f.file).split(sep).slice(0, 2).join('/'));
    expect(new Set(foreign)).toEqual(new Set(['darwin/arm64', 'darwin/x64', 'linux/arm64', 'win32/arm64', 'win32/ia32', 'win32/x64']));
  });
});
