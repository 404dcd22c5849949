// Fetches Node's binary for another OS or CPU than the build machine's, so
// that beforePack can build that target's `outpost` command
// (build/hooks/cli-executable.cjs; build/README.md "The outpost command"):
//
//   node build/scripts/fetch-node.mjs PLATFORM ARCH [DIR] >> "$GITHUB_ENV"
//
// PLATFORM is win32, darwin or linux; ARCH x64 or arm64. The version is the
// one running this script (the blob and the binary must match). The download
// is checked against nodejs.org's SHASUMS256.txt, fetched over HTTPS, before
// anything is used. Prints OUTPOST_CLI_NODE_<PLATFORM>_<ARCH>=<path of node>.
// OUTPOST_NODE_DIST replaces https://nodejs.org/dist (a mirror; the tests).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [platform, arch, dirArg] = process.argv.slice(2);
if (!['win32', 'darwin', 'linux'].includes(platform) || !['x64', 'arm64'].includes(arch)) {
  process.stderr.write('usage: fetch-node.mjs win32|darwin|linux x64|arm64 [DIR]\n');
  process.exit(2);
}
const version = `v${process.versions.node}`;
const dist = `${process.env.OUTPOST_NODE_DIST ?? 'https://nodejs.org/dist'}/${version}`;
const dir = resolve(
  dirArg ?? join('node_modules', '.cache', 'outpost-node', `${platform}-${arch}`),
);
mkdirSync(dir, { recursive: true });

/** The file nodejs.org publishes for the target, and where node is inside it. */
const folder = `node-${version}-${platform}-${arch}`;
const file = platform === 'win32' ? `win-${arch}/node.exe` : `${folder}.tar.gz`;

async function download(path) {
  const response = await fetch(`${dist}/${path}`);
  if (!response.ok) throw new Error(`${dist}/${path}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

const sums = (await download('SHASUMS256.txt')).toString('utf8');
const expected = sums
  .split('\n')
  .map((line) => line.trim().split(/\s+/))
  .find(([, name]) => name === file)?.[0];
if (expected === undefined) throw new Error(`${file} is not in ${dist}/SHASUMS256.txt`);
const bytes = await download(file);
const actual = createHash('sha256').update(bytes).digest('hex');
if (actual !== expected)
  throw new Error(`${file}: SHA-256 ${actual} does not match SHASUMS256.txt (${expected})`);

let node;
if (platform === 'win32') {
  node = join(dir, 'node.exe');
  writeFileSync(node, bytes, { mode: 0o755 });
} else {
  const archive = join(dir, file);
  writeFileSync(archive, bytes);
  execFileSync('tar', ['-xzf', archive, '-C', dir, `${folder}/bin/node`]);
  node = join(dir, folder, 'bin', 'node');
}
process.stdout.write(`OUTPOST_CLI_NODE_${platform.toUpperCase()}_${arch.toUpperCase()}=${node}\n`);
