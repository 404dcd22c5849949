import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUpdateFeed, updateDecision } from '../../main/shell/update-policy.ts';
import { TentacleServer } from '../peers/tentacle-server.ts';
import { makeTempDir } from '../peers/util.ts';
import pkg from '../../package.json' with { type: 'json' };
import { fakeElectronDist, fakeElectronMacDist, readFuses } from './fake-electron.ts';

/**
 * The packaging dry run (issue #9 "Checks that run here"): `npm run dist:linux -- --dir`
 * with the real configuration, hooks and dependencies; electronDist points at a
 * stand-in for Electron's runtime (./fake-electron.ts).
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as {
  listPackage(archive: string, options?: object): string[];
  extractFile(archive: string, file: string): Buffer;
  extractAll(archive: string, dest: string): void;
};
const { binaryTarget, listNativeModules, foreignNativeModules } = require(
  join(ROOT, 'build', 'hooks', 'native-binaries.cjs'),
) as {
  binaryTarget(bytes: Buffer): { os: string; arch: string };
  listNativeModules(root: string): string[];
  foreignNativeModules(
    root: string,
    os: string,
    arch: string,
  ): Array<{ file: string; target: { os: string; arch: string } }>;
};

const UPDATE_URL = 'https://updates.example.org/outpost';

/** The outpost command is built with postject (build/hooks/cli-executable.cjs): without it, its checks are skipped, saying why. */
const NO_POSTJECT = ((): string | undefined => {
  try {
    require.resolve('postject');
    return undefined;
  } catch {
    return 'postject is not installed (npm install -D postject): the apps are packed without the outpost command, whose checks are skipped';
  }
})();
if (NO_POSTJECT !== undefined) console.warn(`[packaging.test] ${NO_POSTJECT}`);

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
    await fakeElectronDist(electronDist, ROOT, 'linux');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
      PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    };
    for (const key of Object.keys(env))
      if (
        /^(CSC_|WIN_CSC_|APPLE_|AZURE_|GH_TOKEN|GITHUB_|OUTPOST_REQUIRE_CLI|OUTPOST_CLI_NODE_)/.test(
          key,
        )
      )
        delete env[key];
    // A feed makes electron-builder write resources/app-update.yml, which the updater reads.
    env.OUTPOST_UPDATE_URL = UPDATE_URL;
    // out/ is (re)built by the script: tests that read out/ must not run while it is rebuilt
    // (in CI the e2e suite, which also builds it, runs after the unit tests).
    try {
      const result = await run(
        'npm',
        [
          'run',
          'dist:linux',
          '--',
          '--dir',
          '--publish',
          'never',
          `-c.electronDist=${electronDist}`,
          `-c.directories.output=${join(temp.dir, 'dist')}`,
        ],
        { cwd: ROOT, env, maxBuffer: 32 * 1024 * 1024 },
      );
      log = `${result.stdout}\n${result.stderr}`;
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `npm run dist:linux failed:\n${`${stdout ?? ''}\n${stderr ?? ''}`.slice(-4000)}`,
        { cause: error },
      );
    }
    appDir = join(temp.dir, 'dist', 'linux-unpacked');
    archive = join(appDir, 'resources', 'app.asar');
    unpacked = join(appDir, 'resources', 'app.asar.unpacked');
    files = asar.listPackage(archive).map((f) => f.split(sep).join('/'));
  }, 240_000);

  afterAll(async () => temp?.cleanup());

  it('packs the built main, preload and renderer, and the app manifest points at the main bundle', () => {
    for (const file of [
      '/out/main/index.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/package.json',
    ]) {
      expect(files).toContain(file);
    }
    expect(files.some((f) => /^\/out\/renderer\/assets\/index-[\w-]+\.js$/.test(f))).toBe(true);
    const manifest = JSON.parse(
      asar.extractFile(archive, 'package.json').toString('utf8'),
    ) as Record<string, unknown>;
    expect(manifest.main).toBe('out/main/index.js');
    expect(manifest.type).toBe('module');
    expect(manifest.scripts).toBeUndefined();
  });

  it('packs no sources, tests, maps, type files or tooling', () => {
    const outsideNodeModules = files.filter(
      (f) => !f.startsWith('/node_modules/') && f !== '/node_modules',
    );
    expect(
      outsideNodeModules.filter((f) => !f.startsWith('/out') && f !== '/package.json'),
    ).toEqual([]);
    expect(files.filter((f) => /\.(ts|tsx|mts|cts|map|tsbuildinfo)$/.test(f))).toEqual([]);
    expect(files.filter((f) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(f))).toEqual([]);
    expect(
      files.filter((f) =>
        /^\/node_modules\/(vitest|vite|electron|electron-builder|typescript|eslint|react|react-dom|node-addon-api)\//.test(
          f,
        ),
      ),
    ).toEqual([]);
    expect(files.filter((f) => /^\/node_modules\/zeromq\/(src|script)\//.test(f))).toEqual([]);
  });

  it('packs the production dependencies the main process imports', () => {
    for (const dep of [
      'zod',
      'zeromq',
      'node-forge',
      'amqplib',
      'electron-store',
      'electron-updater',
      'electron-log',
      'conf',
      'ws',
    ]) {
      expect(files).toContain(`/node_modules/${dep}/package.json`);
    }
  });

  it('unpacks every native module, and only linux-x64 ones (checked on the binaries themselves)', async () => {
    expect(files.filter((f) => f.endsWith('.node'))).toEqual(
      // Listed in the archive header but stored in app.asar.unpacked.
      files
        .filter((f) => f.endsWith('.node'))
        .filter((f) => f.includes('/zeromq/build/linux/x64/')),
    );
    const natives = listNativeModules(unpacked);
    expect(natives.length).toBeGreaterThan(0);
    for (const file of natives) {
      expect(relative(unpacked, file).split(sep).join('/')).toMatch(
        /^node_modules\/zeromq\/build\/linux\/x64\/node\/glibc-\d+-Release\/addon\.node$/,
      );
      expect(binaryTarget(await readFile(file))).toEqual({ os: 'linux', arch: 'x64' });
    }
    const zeromqBuild = await readdir(join(unpacked, 'node_modules', 'zeromq', 'build'));
    expect(zeromqBuild.sort()).toEqual(['linux', 'manifest.json']);
    expect(await readdir(join(unpacked, 'node_modules', 'zeromq', 'build', 'linux'))).toEqual([
      'x64',
    ]);
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

  it.skipIf(NO_POSTJECT !== undefined)(
    'carries the outpost command, built for linux-x64, and it runs from the packed app (issue #17)',
    async () => {
      const cli = join(appDir, 'resources', 'bin', 'outpost');
      expect(binaryTarget(await readFile(cli))).toEqual({ os: 'linux', arch: 'x64' });
      expect(log).toContain('[outpost] linux-x64: the outpost command is resources/bin/outpost');
      const data = join(temp.dir, 'cli-data');
      const outpost = (args: string[], env: NodeJS.ProcessEnv = {}) =>
        run(cli, [...args, '--data-dir', data], { env: { ...process.env, ...env } });
      expect((await outpost(['--version'])).stdout).toBe(`outpost ${pkg.version}\n`);
      expect((await outpost(['--help'])).stdout).toContain('outpost tentacle send');
      // The packed CLI and the packages it loads from disk: Gorgone's module imports zeromq.
      expect(
        JSON.parse((await outpost(['gorgone', 'authorized', 'list', '--json'])).stdout),
      ).toEqual(expect.anything());
      const server = await TentacleServer.start({ dir: join(temp.dir, 'incoming') });
      try {
        const file = join(temp.dir, 'ten-bytes.dat');
        await writeFile(file, '0123456789');
        await outpost(['tentacle', 'send', file, '-a', '127.0.0.1', '-p', String(server.port)]);
        expect(await readFile(join(temp.dir, 'incoming', 'ten-bytes.dat'), 'utf8')).toBe(
          '0123456789',
        );
      } finally {
        await server.stop();
      }
      // The UI `outpost ui` serves, outside the archive its Node cannot read.
      expect(await readdir(join(appDir, 'resources', 'ui'))).toContain('index.html');
    },
  );

  it.skipIf(NO_POSTJECT !== undefined)(
    'the outpost command runs nothing but the CLI: no NODE_OPTIONS, no Node flags',
    async () => {
      const cli = join(appDir, 'resources', 'bin', 'outpost');
      const marker = join(temp.dir, 'node-options-ran');
      const script = join(temp.dir, 'preload.cjs');
      await writeFile(
        script,
        `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');`,
      );
      const { stdout } = await run(cli, ['--version'], {
        env: { ...process.env, NODE_OPTIONS: `--require ${script}` },
      });
      expect(stdout).toBe(`outpost ${pkg.version}\n`);
      await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
      // A Node flag is an argument of the CLI, which refuses it (exit 2), not a debugger to attach.
      const inspect = await run(cli, ['--inspect', '-e', 'process.exit(7)']).catch(
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(inspect).toMatchObject({ code: 2 });
      expect((inspect as { stderr: string }).stderr).toMatch(/inspect/);
    },
  );

  it('flips the Electron fuses that keep the app from being used as a Node runtime', async () => {
    const state = readFuses(await readFile(join(appDir, 'outpost')));
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
      expect(trayFiles).toEqual(
        expect.arrayContaining([
          `tray-${state}.png`,
          `tray-${state}@2x.png`,
          `tray-${state}Template.png`,
          `tray-${state}Template@2x.png`,
        ]),
      );
    }
    expect(log).toContain('[outpost] signing for linux: AppImage and deb are not signed');
  });

  it('gives the .deb no update feed and no package-type, even with a feed configured (issue #15 item 9)', async () => {
    // npm run dist:linux packs with build/electron-builder.deb.cjs.
    const resources = await readdir(join(appDir, 'resources'));
    expect(resources).not.toContain('app-update.yml');
    expect(resources).not.toContain('package-type');
  });

  it('marks the build unsigned for the updater in the packed package.json', () => {
    const manifest = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as {
      outpostBuild?: unknown;
    };
    expect(manifest.outpostBuild).toEqual({ signed: { win32: false, darwin: false } });
  });
});

/**
 * Windows and macOS apps packed from this machine (`--dir`, x64 and arm64),
 * with the real configuration and hooks, to prove each one carries only its own
 * OS/CPU's native modules. The installers themselves (NSIS, MSI, DMG, PKG) are
 * built on the release workflow's Windows and macOS runners.
 *
 * Two switches differ from a real build, because the stand-in executables are
 * not real PE files: no resource editing (rcedit) and no asar integrity
 * resource (it is written into the PE). Both run on the Windows runner.
 */
function builderEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
  for (const key of Object.keys(env))
    if (
      /^(CSC_|WIN_CSC_|APPLE_|AZURE_|GH_TOKEN|GITHUB_|OUTPOST_UPDATE_URL|OUTPOST_REQUIRE_CLI|OUTPOST_CLI_NODE_)/.test(
        key,
      )
    )
      delete env[key];
  return env;
}

async function pack(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout, stderr } = await run(
      join(ROOT, 'node_modules', '.bin', 'electron-builder'),
      ['--config', 'build/electron-builder.config.cjs', '--dir', '--publish', 'never', ...args],
      { cwd: ROOT, env: { ...builderEnv(), ...env }, maxBuffer: 32 * 1024 * 1024 },
    );
    return `${stdout}\n${stderr}`;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `electron-builder ${args.join(' ')} failed:\n${`${stdout ?? ''}\n${stderr ?? ''}`.slice(-4000)}`,
      { cause: error },
    );
  }
}

describe('Windows and macOS apps packed with --dir (x64 and arm64)', () => {
  let temp: { dir: string; cleanup(): Promise<void> };
  let winLog: string;
  let macLog: string;
  let winOut: string;
  let macOut: string;

  beforeAll(async () => {
    temp = await makeTempDir('outpost-cross-');
    // out/ was built moments ago by the Linux dry run above (describes in one file run in order).
    await fakeElectronDist(join(temp.dir, 'electron-win'), ROOT, 'win32');
    await fakeElectronMacDist(join(temp.dir, 'electron-mac'), ROOT);
    winOut = join(temp.dir, 'win');
    macOut = join(temp.dir, 'mac');
    [winLog, macLog] = await Promise.all([
      pack([
        '--win',
        '--x64',
        '--arm64',
        `-c.electronDist=${join(temp.dir, 'electron-win')}`,
        `-c.directories.output=${winOut}`,
        '-c.win.signAndEditExecutable=false',
        '-c.disableAsarIntegrity=true',
      ]),
      pack([
        '--mac',
        '--x64',
        '--arm64',
        `-c.electronDist=${join(temp.dir, 'electron-mac')}`,
        `-c.directories.output=${macOut}`,
      ]),
    ]);
  }, 240_000);

  afterAll(async () => temp?.cleanup());

  const apps = () =>
    [
      {
        name: 'win32-x64',
        resources: join(winOut, 'win-unpacked', 'resources'),
        os: 'win32',
        arch: 'x64',
      },
      {
        name: 'win32-arm64',
        resources: join(winOut, 'win-arm64-unpacked', 'resources'),
        os: 'win32',
        arch: 'arm64',
      },
      {
        name: 'darwin-x64',
        resources: join(macOut, 'mac', 'Outpost.app', 'Contents', 'Resources'),
        os: 'darwin',
        arch: 'x64',
      },
      {
        name: 'darwin-arm64',
        resources: join(macOut, 'mac-arm64', 'Outpost.app', 'Contents', 'Resources'),
        os: 'darwin',
        arch: 'arm64',
      },
    ] as const;

  it('each app carries only the native modules of its own OS and CPU', async () => {
    for (const app of apps()) {
      const unpacked = join(app.resources, 'app.asar.unpacked');
      const natives = listNativeModules(unpacked);
      expect(natives.length, app.name).toBeGreaterThan(0);
      for (const file of natives) {
        expect(relative(unpacked, file).split(sep).join('/'), app.name).toMatch(
          new RegExp(`^node_modules/zeromq/build/${app.os}/${app.arch}/node/`),
        );
        expect(binaryTarget(await readFile(file)), file).toEqual({ os: app.os, arch: app.arch });
      }
      expect(
        await readdir(join(unpacked, 'node_modules', 'zeromq', 'build', app.os)),
        app.name,
      ).toEqual([app.arch]);
    }
    for (const app of apps())
      expect(`${winLog}\n${macLog}`).toMatch(
        new RegExp(
          `\\[outpost\\] ${app.name}: \\d+ native module\\(s\\), all built for this target`,
        ),
      );
  });

  it('each app holds the bundles and the tray icons, and no sources', async () => {
    for (const app of apps()) {
      const files = asar
        .listPackage(join(app.resources, 'app.asar'))
        .map((f) => f.split(sep).join('/'));
      expect(files, app.name).toEqual(
        expect.arrayContaining([
          '/out/main/index.js',
          '/out/preload/index.cjs',
          '/out/renderer/index.html',
        ]),
      );
      expect(
        files.filter(
          (f) => !f.startsWith('/node_modules') && !f.startsWith('/out') && f !== '/package.json',
        ),
        app.name,
      ).toEqual([]);
      expect(await readdir(join(app.resources, 'build')), app.name).toEqual(
        expect.arrayContaining(['tray-ok.png', 'tray-okTemplate@2x.png']),
      );
    }
  });

  it('says both builds are unsigned', () => {
    expect(winLog).toContain('[outpost] signing for win32: UNSIGNED');
    expect(macLog).toContain('[outpost] signing for darwin: UNSIGNED');
  });

  it('packs them without the outpost command here, and says why (no Node binary of that OS)', () => {
    for (const app of apps()) {
      const variable = `OUTPOST_CLI_NODE_${app.os.toUpperCase()}_${app.arch.toUpperCase()}`;
      expect(`${winLog}\n${macLog}`).toContain(
        `[outpost] ${app.name}: packing WITHOUT the outpost command: no Node ${process.versions.node} binary for ${app.name} (set ${variable})`,
      );
    }
  });

  it.skipIf(NO_POSTJECT !== undefined)(
    "copies the target's command into the app, and refuses one built for another OS (issue #17)",
    async () => {
      // This machine's Linux Node given as the Windows one: it is copied to resources\bin\outpost.exe,
      // then afterPack reads its header and stops the build.
      const failed = await pack(
        [
          '--win',
          '--x64',
          `-c.electronDist=${join(temp.dir, 'electron-win')}`,
          `-c.directories.output=${join(temp.dir, 'win-wrong-cli')}`,
          '-c.win.signAndEditExecutable=false',
          '-c.disableAsarIntegrity=true',
        ],
        { OUTPOST_CLI_NODE_WIN32_X64: process.execPath },
      ).catch((error: Error) => error.message);
      expect(failed).toMatch(
        /\[outpost\] \S+win-unpacked[\\/]resources[\\/]bin[\\/]outpost\.exe is built for linux-x64, not win32-x64/,
      );
    },
    240_000,
  );

  it('brands the macOS app and flips the fuses in its Electron Framework', async () => {
    for (const dir of ['mac', 'mac-arm64']) {
      const contents = join(macOut, dir, 'Outpost.app', 'Contents');
      const plist = await readFile(join(contents, 'Info.plist'), 'utf8');
      expect(plist).toMatch(
        /<key>CFBundleIdentifier<\/key>\s*<string>org\.outpost\.agent<\/string>/,
      );
      expect(plist).toMatch(/<key>LSMinimumSystemVersion<\/key>\s*<string>13\.0<\/string>/);
      const fuses = readFuses(
        await readFile(
          join(contents, 'Frameworks', 'Electron Framework.framework', 'Electron Framework'),
        ),
      );
      expect(fuses).toMatchObject({
        RunAsNode: false,
        OnlyLoadAppFromAsar: true,
        EnableEmbeddedAsarIntegrityValidation: true,
      });
    }
  });
});

/** The electron-builder arguments of a package.json dist script (what follows `electron-builder`). */
async function scriptArgs(script: string): Promise<string[]> {
  const scripts = (
    JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const command = scripts[script]!;
  return command
    .slice(command.indexOf('electron-builder ') + 'electron-builder '.length)
    .split(' ');
}

/**
 * Which update feed each installer's app carries (issue #15 items 9, 10), from
 * electron-builder itself: a dist script's run, with its own arguments, packed
 * with a stand-in runtime for x64 and stopped right after packing
 * (./stop-after-pack.cjs), before NSIS, WiX, fpm or appimagetool would run.
 */
describe('update feeds per installer', () => {
  let temp: { dir: string; cleanup(): Promise<void> };
  beforeAll(async () => {
    temp = await makeTempDir('outpost-feeds-');
    await fakeElectronDist(join(temp.dir, 'electron-win32'), ROOT, 'win32');
    await fakeElectronDist(join(temp.dir, 'electron-linux'), ROOT, 'linux');
  }, 60_000);
  afterAll(async () => temp?.cleanup());

  async function packedBy(
    script: string,
    os: 'win32' | 'linux',
  ): Promise<{ targets: string[]; resources: string[] }> {
    const probe = join(temp.dir, `${script}.json`);
    const args = [
      ...(await scriptArgs(script)),
      '--x64',
      '--publish',
      'never',
      `-c.electronDist=${join(temp.dir, `electron-${os}`)}`,
      `-c.directories.output=${join(temp.dir, script)}`,
      `-c.afterPack=${join(import.meta.dirname, 'stop-after-pack.cjs')}`,
      ...(os === 'win32'
        ? ['-c.win.signAndEditExecutable=false', '-c.disableAsarIntegrity=true']
        : []),
    ];
    const outcome = await run(join(ROOT, 'node_modules', '.bin', 'electron-builder'), args, {
      cwd: ROOT,
      env: { ...builderEnv(), OUTPOST_UPDATE_URL: UPDATE_URL, OUTPOST_PACK_PROBE: probe },
      maxBuffer: 32 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => error);
    const output = `${outcome.stdout ?? ''}\n${outcome.stderr ?? ''}`;
    expect(output, output.slice(-3000)).toContain('[outpost-test] stopped after pack');
    return JSON.parse(await readFile(probe, 'utf8')) as { targets: string[]; resources: string[] };
  }

  it('Windows: the NSIS app carries the update feed; the MSI, packed by its own run, carries none', async () => {
    const nsis = await packedBy('dist:win', 'win32');
    expect(nsis.targets).toEqual(['nsis']);
    expect(nsis.resources).toContain('app-update.yml');
    const msi = await packedBy('dist:msi', 'win32');
    expect(msi.targets).toEqual(['msi']);
    expect(msi.resources).not.toContain('app-update.yml');
  }, 240_000);

  it('Linux: the AppImage carries the feed the policy accepts; the .deb carries none', async () => {
    const appImage = await packedBy('dist:appimage', 'linux');
    expect(appImage.targets).toEqual(['appImage']);
    expect(appImage.resources).toContain('app-update.yml');
    const deb = await packedBy('dist:linux', 'linux');
    expect(deb.targets).toEqual(['deb']);
    expect(deb.resources).not.toContain('app-update.yml');
    expect(deb.resources).not.toContain('package-type');
    const feed = parseUpdateFeed(
      await readFile(
        join(temp.dir, 'dist:appimage', 'linux-unpacked', 'resources', 'app-update.yml'),
        'utf8',
      ),
    );
    expect(feed).toEqual({ provider: 'generic', url: UPDATE_URL });
    const linux = {
      isPackaged: true,
      platform: 'linux',
      settingEnabled: true,
      signed: false,
      feed,
    } as const;
    expect(updateDecision({ ...linux, packageType: 'appimage' }).check).toBe(true);
    expect(updateDecision({ ...linux, packageType: 'deb' }).check).toBe(false);
    expect(updateDecision({ ...linux, platform: 'win32', packageType: 'nsis' })).toEqual({
      check: false,
      reason: 'this Windows build is unsigned, so an update signature could not be checked',
    });
  }, 240_000);
});

describe('native binary check (the afterPack guard)', () => {
  it('reads OS and CPU from the headers of the addons zeromq ships', async () => {
    const build = join(ROOT, 'node_modules', 'zeromq', 'build');
    const read = (p: string) => readFile(join(build, p)).then(binaryTarget);
    expect(await read('linux/x64/node/glibc-127-Release/addon.node')).toEqual({
      os: 'linux',
      arch: 'x64',
    });
    expect(await read('linux/arm64/node/glibc-127-Release/addon.node')).toEqual({
      os: 'linux',
      arch: 'arm64',
    });
    expect(await read('win32/x64/node/msvc-115-Release/addon.node')).toEqual({
      os: 'win32',
      arch: 'x64',
    });
    expect(await read('win32/arm64/node/msvc-115-Release/addon.node')).toEqual({
      os: 'win32',
      arch: 'arm64',
    });
    expect(await read('darwin/arm64/node/libc-115-Release/addon.node')).toEqual({
      os: 'darwin',
      arch: 'arm64',
    });
    expect(await read('darwin/x64/node/libc-115-Release/addon.node')).toEqual({
      os: 'darwin',
      arch: 'x64',
    });
  });

  it('flags every foreign addon in an unfiltered zeromq', () => {
    const build = join(ROOT, 'node_modules', 'zeromq', 'build');
    const foreign = foreignNativeModules(build, 'linux', 'x64').map((f) =>
      relative(build, f.file).split(sep).slice(0, 2).join('/'),
    );
    expect(new Set(foreign)).toEqual(
      new Set([
        'darwin/arm64',
        'darwin/x64',
        'linux/arm64',
        'win32/arm64',
        'win32/ia32',
        'win32/x64',
      ]),
    );
  });
});
