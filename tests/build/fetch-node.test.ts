import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../peers/util.ts';

/**
 * build/scripts/fetch-node.mjs, which the release workflow runs to build the
 * other CPU's `outpost` command (issue #17), against a stand-in for
 * nodejs.org/dist on 127.0.0.1.
 */
const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', '..', 'build', 'scripts', 'fetch-node.mjs');
const VERSION = `v${process.versions.node}`;
const FOLDER = `node-${VERSION}-linux-arm64`;

describe('fetch-node.mjs', () => {
  let temp: { dir: string; cleanup(): Promise<void> };
  let server: Server;
  let base: string;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    temp = await makeTempDir('fetch-node');
    const tree = join(temp.dir, 'tree');
    await mkdir(join(tree, FOLDER, 'bin'), { recursive: true });
    await writeFile(join(tree, FOLDER, 'bin', 'node'), 'the arm64 node');
    await run('tar', ['-czf', join(temp.dir, `${FOLDER}.tar.gz`), '-C', tree, FOLDER]);
    const tarball = await readFile(join(temp.dir, `${FOLDER}.tar.gz`));
    const exe = Buffer.from('the windows node');
    files.set(`/${VERSION}/${FOLDER}.tar.gz`, tarball);
    files.set(`/${VERSION}/win-arm64/node.exe`, exe);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    files.set(
      `/${VERSION}/SHASUMS256.txt`,
      Buffer.from(`${sha(tarball)}  ${FOLDER}.tar.gz\n${sha(exe)}  win-arm64/node.exe\n`),
    );
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      res.writeHead(body === undefined ? 404 : 200).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    server?.close();
    await temp?.cleanup();
  });

  const fetchNode = (platform: string, dir: string) =>
    run(process.execPath, [SCRIPT, platform, 'arm64', dir], {
      env: { ...process.env, OUTPOST_NODE_DIST: base },
    });

  it('extracts the checked binary and prints the variable beforePack reads', async () => {
    const linux = join(temp.dir, 'linux');
    const { stdout } = await fetchNode('linux', linux);
    const node = join(linux, FOLDER, 'bin', 'node');
    expect(stdout).toBe(`OUTPOST_CLI_NODE_LINUX_ARM64=${node}\n`);
    expect(await readFile(node, 'utf8')).toBe('the arm64 node');
    const win = join(temp.dir, 'win');
    expect((await fetchNode('win32', win)).stdout).toBe(
      `OUTPOST_CLI_NODE_WIN32_ARM64=${join(win, 'node.exe')}\n`,
    );
  });

  it('refuses a download that does not match SHASUMS256.txt, and writes nothing usable', async () => {
    files.set(`/${VERSION}/win-arm64/node.exe`, Buffer.from('tampered'));
    const dir = join(temp.dir, 'tampered');
    const failed = await fetchNode('win32', dir).catch((error: { stderr: string }) => error);
    expect((failed as { stderr: string }).stderr).toMatch(
      /win-arm64\/node\.exe: SHA-256 [0-9a-f]{64} does not match SHASUMS256\.txt/,
    );
    await expect(readFile(join(dir, 'node.exe'))).rejects.toThrow(/ENOENT/);
  });
});
