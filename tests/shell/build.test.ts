import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronBinary, MISSING_RUNTIME_MESSAGE } from '../../main/shell/launch.js';
import { makeTempDir } from '../peers/util.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

describe('electron-vite build (no Electron runtime needed)', () => {
  let out: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir: out, cleanup } = await makeTempDir('evbuild'));
    await run(
      join(ROOT, 'node_modules', '.bin', 'electron-vite'),
      ['build', '--outDir', out, '--logLevel', 'warn'],
      {
        cwd: ROOT,
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
      },
    );
  }, 120_000);
  afterAll(async () => cleanup?.());

  it('builds the main process as an ES module importing electron', async () => {
    const main = await readFile(join(out, 'main', 'index.js'), 'utf8');
    expect(main).toMatch(/^import .* from "electron";/m);
    expect(main).toContain('requestSingleInstanceLock');
  });

  it('builds a sandbox-loadable CommonJS preload that requires nothing but electron', async () => {
    const preload = await readFile(join(out, 'preload', 'index.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect([...new Set(required)]).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*import\s/m);
    expect(preload).toContain('exposeInMainWorld("outpost"');
  });

  it('builds the renderer with a strict CSP and relative asset paths (loaded from file://)', async () => {
    const html = await readFile(join(out, 'renderer', 'index.html'), 'utf8');
    expect(html).toContain("script-src 'self'");
    expect(html).not.toContain("'unsafe-inline'");
    expect(html).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/);
  });
});

describe('npm start launcher', () => {
  it('finds no runtime in an electron package without dist, and with one finds it', async () => {
    const { dir, cleanup } = await makeTempDir('launch');
    try {
      await writeFile(join(dir, 'path.txt'), 'electron');
      expect(electronBinary(dir, {})).toBeUndefined();
      await mkdir(join(dir, 'dist'));
      await writeFile(join(dir, 'dist', 'electron'), '');
      expect(electronBinary(dir, {})).toBe(join(dir, 'dist', 'electron'));
    } finally {
      await cleanup();
    }
  });

  it('without the runtime, exits 1 and points to `npx outpost ui`', async () => {
    const result = await run(process.execPath, [join(ROOT, 'main', 'shell', 'launch.js')], {
      cwd: ROOT,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(ROOT, 'no-such-dir') },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(MISSING_RUNTIME_MESSAGE);
    expect(result.stderr).toContain('npx outpost ui');
  });
});
