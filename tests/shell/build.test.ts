import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
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

  it('keeps the sandboxed preload small: channel names only, no schemas, no method list', async () => {
    const preload = await readFile(join(out, 'preload', 'index.cjs'), 'utf8');
    expect(Buffer.byteLength(preload)).toBeLessThan(30 * 1024);
    expect(preload).not.toContain('safeParse');
    expect(preload).not.toContain('getThumbprint');
  });

  it('builds the main process to serve the renderer on app://outpost/, never from a file: page', async () => {
    const main = await readFile(join(out, 'main', 'index.js'), 'utf8');
    expect(main).toContain('registerSchemesAsPrivileged');
    expect(main).toContain('app://outpost/index.html');
    expect(main).not.toMatch(/\.loadFile\(/);
  });

  it('builds the renderer with a strict CSP and relative asset paths (served on app://outpost/)', async () => {
    const html = await readFile(join(out, 'renderer', 'index.html'), 'utf8');
    expect(html).toContain("script-src 'self'");
    expect(html).not.toContain("'unsafe-inline'");
    expect(html).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/);
  });

  it('without the runtime, says so and starts the agent with the web UI instead', async () => {
    const { dir, cleanup } = await makeTempDir('launch-ui');
    const child = spawn(process.execPath, [join(ROOT, 'main', 'shell', 'launch.js'), '--no-open'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ELECTRON_OVERRIDE_DIST_PATH: join(ROOT, 'no-such-dir'),
        OUTPOST_HOME: dir,
        // The renderer this describe block built (a clean clone has no out/ yet).
        OUTPOST_UI_DIR: join(out, 'renderer'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const m = /Outpost UI: (http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(stderr);
          if (m !== null) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      expect(stderr.startsWith(MISSING_RUNTIME_MESSAGE)).toBe(true);
      expect(stderr).toContain('npx outpost ui');
      // The agent answers on loopback: the one-time URL sets the session cookie and leads to the app.
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(200);
      expect(response.headers.get('set-cookie')).toMatch(/HttpOnly/i);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      // Windows has no SIGTERM to forward: kill() terminates the launcher itself.
      if (process.platform !== 'win32') expect(await exited).toBe(0);
      else await exited;
    } finally {
      child.kill('SIGKILL');
      await cleanup();
    }
  }, 60_000);
});

describe('npm start launcher', () => {
  it.skipIf(process.platform === 'win32')(
    'starts Electron without ELECTRON_RUN_AS_NODE, whatever the shell left set (issue #15 item 15)',
    async () => {
      const { dir, cleanup } = await makeTempDir('launch-env');
      try {
        // A stand-in runtime (ELECTRON_OVERRIDE_DIST_PATH, as the electron package reads it) that reports its environment.
        const fake = join(dir, 'electron');
        await writeFile(
          fake,
          '#!/bin/sh\nprintf "RUN_AS_NODE=[%s] OTHER=[%s] ARGS=[%s]\\n" "${ELECTRON_RUN_AS_NODE-unset}" "$OUTPOST_OTHER" "$*"\n',
        );
        await chmod(fake, 0o755);
        const { stdout } = await run(
          process.execPath,
          [join(ROOT, 'main', 'shell', 'launch.js'), '--hidden'],
          {
            cwd: ROOT,
            env: {
              ...process.env,
              ELECTRON_OVERRIDE_DIST_PATH: dir,
              ELECTRON_RUN_AS_NODE: '1',
              OUTPOST_OTHER: 'kept',
            },
          },
        );
        expect(stdout).toBe(`RUN_AS_NODE=[unset] OTHER=[kept] ARGS=[${ROOT} --hidden]\n`);
      } finally {
        await cleanup();
      }
    },
  );

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
});
