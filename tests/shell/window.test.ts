import { EventEmitter } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../peers/util.ts';

/** Electron's API faked at the module boundary: what window.ts and app-protocol.ts call. */
const fake = vi.hoisted(() => ({
  privileged: [] as unknown[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  loaded: [] as string[],
  windows: [] as unknown[],
}));
vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  const { readFile } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  class FakeContents extends EventEmitter {
    setWindowOpenHandler(): void {}
  }
  class BrowserWindow extends EventEmitter {
    webContents = new FakeContents();
    constructor(options: unknown) {
      super();
      fake.windows.push(options);
    }
    async loadURL(url: string): Promise<void> {
      fake.loaded.push(url);
    }
    show(): void {}
  }
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  return {
    BrowserWindow,
    session: {},
    shell: { openExternal: async () => undefined },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => fake.privileged.push(...schemes),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) =>
        fake.handlers.set(scheme, handler),
    },
    // net.fetch of a file: URL, as Chromium's file loader answers it (type from the extension).
    net: {
      fetch: async (url: string) => {
        const path = fileURLToPath(url);
        const body = await readFile(path);
        return new Response(body, {
          headers: { 'Content-Type': types[path.slice(path.lastIndexOf('.'))] ?? 'text/plain' },
        });
      },
    },
  };
});

const { hardenContents, createMainWindow, rendererLocation } =
  await import('../../main/shell/window.ts');
const { registerAppScheme, serveRenderer } = await import('../../main/shell/app-protocol.ts');

function navigate(contents: EventEmitter, url: string, event = 'will-navigate'): boolean {
  let prevented = false;
  contents.emit(event, { preventDefault: () => (prevented = true) }, url);
  return prevented;
}

describe('navigation guard (issue #14 item 10)', () => {
  it('lets our page through and refuses the same path on another origin', () => {
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: () => undefined });
    const { url } = rendererLocation('/opt/Outpost/resources/app.asar/out/main', true, {});
    hardenContents(contents as never, url);
    expect(navigate(contents, 'app://outpost/index.html#/queue')).toBe(false);
    expect(navigate(contents, 'https://evil.example/index.html')).toBe(true);
    expect(navigate(contents, 'app://evil/index.html')).toBe(true);
    expect(
      navigate(contents, 'file:///opt/Outpost/resources/app.asar/out/renderer/index.html'),
    ).toBe(true);
    expect(navigate(contents, 'https://evil.example/index.html', 'will-redirect')).toBe(true);
  });
});

describe('the window (issue #15 item 1)', () => {
  it('loads app://outpost/index.html, also when ELECTRON_RENDERER_URL is set in a packaged app', () => {
    const location = rendererLocation('/opt/Outpost/resources/app.asar/out/main', true, {
      ELECTRON_RENDERER_URL: 'http://localhost:5173/',
    });
    createMainWindow(location, false, { route: 'pair', onLoadFailed: () => undefined });
    expect(fake.loaded.at(-1)).toBe('app://outpost/index.html#/pair');
    expect(location.dir).toBe(join('/opt/Outpost/resources/app.asar/out', 'renderer'));
  });
});

describe('app://outpost/ (the renderer from a privileged scheme)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let handler: (request: Request) => Promise<Response>;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('app-scheme'));
    const renderer = join(dir, 'out', 'renderer');
    await mkdir(join(renderer, 'assets'), { recursive: true });
    await writeFile(
      join(renderer, 'index.html'),
      '<script type="module" src="./assets/a.js"></script>',
    );
    await writeFile(join(renderer, 'assets', 'a.js'), 'export {};');
    await writeFile(join(dir, 'out', 'secret.txt'), 'not for the page');
    registerAppScheme();
    serveRenderer(renderer);
    handler = fake.handlers.get('app')!;
  });
  afterAll(async () => cleanup?.());

  it('is registered as a standard, secure, fetch-capable scheme, without bypassing the CSP', () => {
    expect(fake.privileged).toEqual([
      {
        scheme: 'app',
        privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
      },
    ]);
  });

  it('serves the page and its module script with their types and the CSP', async () => {
    const page = await handler(new Request('app://outpost/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('type="module"');
    const script = await handler(new Request('app://outpost/assets/a.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript');
    expect(await script.text()).toBe('export {};');
  });

  it('refuses a path out of the folder, another host, a missing file and a POST', async () => {
    const escape = await handler(new Request('app://outpost/..%2Fsecret.txt'));
    expect(escape.status).toBe(404);
    expect(await escape.text()).not.toContain('not for the page');
    expect((await handler(new Request('app://other/index.html'))).status).toBe(404);
    expect((await handler(new Request('app://outpost/missing.js'))).status).toBe(404);
    expect(
      (await handler(new Request('app://outpost/index.html', { method: 'POST', body: 'x' })))
        .status,
    ).toBe(405);
  });
});
