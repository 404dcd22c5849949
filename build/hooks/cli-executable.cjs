'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
/**
 * The `outpost` command of the installed app (issue #17; README.md "Security
 * model"): <resources>/bin/outpost(.exe), a Node 24 single executable
 * application (SEA) whose one embedded script imports the built CLI the app
 * carries, <resources>/app.asar.unpacked/out/cli/outpost.js (electron-vite's
 * out/ is packed with the app; build/electron-builder.config.cjs unpacks the
 * CLI and the packages it loads from disk). It runs nothing else: its Node
 * reads no NODE_OPTIONS (`execArgvExtension: "none"`) and takes no Node
 * flags; every argument goes to the CLI.
 *
 * Built by beforePack into out/bin/<mac|linux|win>-<cpu>/ for the target about to be
 * packed (electron-builder copies it into the app with `extraResources`, and
 * signs it with the app), from the Node 24 binary of
 * that target: the one running this build when it is the same OS and CPU,
 * else the one OUTPOST_CLI_NODE_<OS>_<CPU> names (e.g.
 * OUTPOST_CLI_NODE_DARWIN_X64), which must be the same Node version (the SEA
 * blob is made by the Node running this build). Needs the postject package.
 */
const { execFileSync } = require('node:child_process');
const {
  copyFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

/** The fuse every Node binary carries, flipped by postject when a SEA blob is injected (nodejs.org/api/single-executable-applications.html). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * The SEA's embedded script. Where the CLI and the UI `outpost ui` serves
 * are, relative to the executable: <resources>/bin/outpost.
 */
const LAUNCHER = `'use strict';
// The outpost command of the installed Outpost app (build/hooks/cli-executable.cjs).
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const resources = dirname(dirname(process.execPath));
process.env.OUTPOST_UI_DIR ??= join(resources, 'ui');
import(pathToFileURL(join(resources, 'app.asar.unpacked', 'out', 'cli', 'outpost.js')).href).catch((error) => {
  process.stderr.write('outpost: this installation is damaged (' + error.message + '): reinstall Outpost\\n');
  process.exitCode = 1;
});
`;

/** The Node binary to turn into the executable, or why there is none. */
function baseNode(platform, arch, env = process.env) {
  const variable = `OUTPOST_CLI_NODE_${platform.toUpperCase()}_${arch.toUpperCase()}`;
  if (Number(process.versions.node.split('.')[0]) < 24)
    return { reason: `this build runs on Node ${process.version}; the command needs Node 24` };
  if (env[variable]) return { path: env[variable] };
  if (platform === process.platform && arch === process.arch) return { path: process.execPath };
  return {
    reason: `no Node ${process.versions.node} binary for ${platform}-${arch} (set ${variable})`,
  };
}

function loadPostject() {
  try {
    return { postject: require('postject') };
  } catch {
    return { reason: 'the postject package is not installed (npm install -D postject)' };
  }
}

/** electron-builder's `${os}` macro, which names the target (its `${platform}` is the build machine's). */
const OS_MACRO = { darwin: 'mac', linux: 'linux', win32: 'win' };

/** Where beforePack leaves the executable of one target, for `extraResources` (out/bin/${os}-${arch}) to pick up. */
function executableDir(root, platform, arch) {
  return path.join(root, 'out', 'bin', `${OS_MACRO[platform] ?? platform}-${arch}`);
}

/**
 * Writes <dir>/outpost(.exe) for platform-arch, after emptying <dir> (a file
 * left by an earlier build must not be packed). Resolves to { path } or, when
 * it cannot be built here, { reason }; OUTPOST_REQUIRE_CLI=1 (the release
 * workflow) turns that into an error.
 */
async function buildCliExecutable({ platform, arch, dir, env = process.env }) {
  rmSync(dir, { recursive: true, force: true });
  const base = baseNode(platform, arch, env);
  const tool = loadPostject();
  const reason = base.reason ?? tool.reason;
  if (reason !== undefined) {
    if (env.OUTPOST_REQUIRE_CLI === '1')
      throw new Error(`[outpost] ${platform}-${arch}: cannot build the outpost command: ${reason}`);
    return { reason };
  }
  const work = mkdtempSync(path.join(tmpdir(), 'outpost-sea-'));
  try {
    const launcher = path.join(work, 'launcher.cjs');
    const blob = path.join(work, 'sea.blob');
    writeFileSync(launcher, LAUNCHER);
    writeFileSync(
      path.join(work, 'sea-config.json'),
      JSON.stringify({
        main: launcher,
        output: blob,
        disableExperimentalSEAWarning: true,
        // The launcher's import() needs it off, and a code cache is made for one CPU only.
        useCodeCache: false,
        useSnapshot: false,
        // NODE_OPTIONS would let anyone's environment run code inside a signed Outpost binary.
        execArgvExtension: 'none',
      }),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', 'sea-config.json'], {
      cwd: work,
      stdio: 'pipe',
    });
    const target = path.join(dir, platform === 'win32' ? 'outpost.exe' : 'outpost');
    mkdirSync(dir, { recursive: true });
    copyFileSync(base.path, target);
    chmodSync(target, 0o755);
    // A signed macOS Node must lose its signature before the injection; the app's signing signs it again.
    if (platform === 'darwin' && process.platform === 'darwin')
      execFileSync('codesign', ['--remove-signature', target]);
    await tool.postject.inject(target, 'NODE_SEA_BLOB', readFileSync(blob), {
      sentinelFuse: SEA_FUSE,
      ...(platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
    });
    return { path: target };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { buildCliExecutable, executableDir, baseNode, LAUNCHER, SEA_FUSE };
