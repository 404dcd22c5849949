import fc from 'fast-check';
import { posix, win32 } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_RENDERER_URL,
  isRendererUrl,
  rendererFileFor,
  rendererUrlFor,
} from '../../main/shell/renderer-url.ts';

describe('the page the window loads (issue #15 item 1, issue #14 item 10)', () => {
  it('is app://outpost/index.html, never a file: URL', () => {
    expect(rendererUrlFor(true, {})).toBe('app://outpost/index.html');
    expect(rendererUrlFor(false, {})).toBe('app://outpost/index.html');
    expect(new URL(rendererUrlFor(true, {})).protocol).not.toBe('file:');
  });

  it("honours electron-vite's dev server only in an unpackaged run, and only on loopback", () => {
    const dev = { ELECTRON_RENDERER_URL: 'http://localhost:5173/' };
    expect(rendererUrlFor(false, dev)).toBe('http://localhost:5173/');
    expect(rendererUrlFor(true, dev)).toBe(APP_RENDERER_URL);
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: 'https://evil.example/' })).toBe(
      APP_RENDERER_URL,
    );
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: 'http://10.0.0.9:5173/' })).toBe(
      APP_RENDERER_URL,
    );
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: '' })).toBe(APP_RENDERER_URL);
  });
});

describe('isRendererUrl (IPC guard and navigation guard)', () => {
  it('accepts our page with any route', () => {
    expect(isRendererUrl('app://outpost/index.html', APP_RENDERER_URL)).toBe(true);
    expect(isRendererUrl('app://outpost/index.html#/queue', APP_RENDERER_URL)).toBe(true);
  });

  it('refuses the same path elsewhere: the old pathname-only check let these through', () => {
    for (const url of [
      'https://evil.example/index.html',
      'http://evil.example/index.html',
      'app://evil/index.html',
      'app://user:pw@outpost/index.html',
      'app://outpost:8080/index.html',
      'file:///index.html',
      'app://outpost/assets/index.html',
      'about:blank',
      'not a url',
    ]) {
      expect(isRendererUrl(url, APP_RENDERER_URL), url).toBe(false);
    }
  });

  it('with the dev server, compares the full origin', () => {
    const dev = 'http://localhost:5173/';
    expect(isRendererUrl('http://localhost:5173/#/queue', dev)).toBe(true);
    expect(isRendererUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isRendererUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isRendererUrl('http://127.0.0.1:5173/', dev)).toBe(false);
    expect(isRendererUrl('https://localhost:5173/', dev)).toBe(false);
    expect(isRendererUrl('app://outpost/index.html', dev)).toBe(false);
  });
});

describe('rendererFileFor (what app://outpost/… serves)', () => {
  const dir = '/opt/Outpost/resources/app.asar/out/renderer';

  it('maps paths inside the renderer folder, / to index.html', () => {
    expect(rendererFileFor('app://outpost/', dir, posix)).toBe(`${dir}/index.html`);
    expect(rendererFileFor('app://outpost/index.html', dir, posix)).toBe(`${dir}/index.html`);
    expect(rendererFileFor('app://outpost/assets/index-Ab12.js', dir, posix)).toBe(
      `${dir}/assets/index-Ab12.js`,
    );
    expect(rendererFileFor('app://outpost/assets/a%20b.css', dir, posix)).toBe(
      `${dir}/assets/a b.css`,
    );
  });

  it('resolves dot segments, encoded or not, inside the URL: they stop at the root', () => {
    expect(rendererFileFor('app://outpost/%2e%2e/%2e%2e/secret', dir, posix)).toBe(`${dir}/secret`);
  });

  it('refuses another host, another scheme, escapes out of the folder, NUL and bad escapes', () => {
    for (const url of [
      'app://evil/index.html',
      'https://outpost/index.html',
      'app://outpost/..%2F..%2F..%2Fetc%2Fpasswd',
      'app://outpost/assets/..%2F..%2Fpreload%2Findex.cjs',
      'app://outpost/index.html%00.js',
      'app://outpost/%E0%A4%A',
    ]) {
      expect(rendererFileFor(url, dir, posix), url).toBeUndefined();
    }
  });

  it('on Windows, refuses backslash escapes and other drives', () => {
    const winDir = 'C:\\Program Files\\Outpost\\resources\\app.asar\\out\\renderer';
    expect(rendererFileFor('app://outpost/assets/x.js', winDir, win32)).toBe(
      `${winDir}\\assets\\x.js`,
    );
    for (const url of [
      'app://outpost/..%5C..%5C..%5CWindows%5Cwin.ini',
      'app://outpost/assets%5C..%5C..%5C..%5Csecret',
    ]) {
      expect(rendererFileFor(url, winDir, win32), url).toBeUndefined();
    }
  });

  it('never yields a file outside the folder, whatever the path (property)', () => {
    const segment = fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E.',
      'a',
      'assets',
      '%2F',
      '%5C',
      '\\',
      '',
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.boolean(), (parts, windows) => {
        const path = windows ? win32 : posix;
        const root = windows ? 'C:\\app\\renderer' : '/app/renderer';
        const file = rendererFileFor(`app://outpost/${parts.join('/')}`, root, path);
        if (file === undefined) return;
        const inside = path.relative(root, file);
        expect(inside.startsWith('..') || path.isAbsolute(inside) || inside === '').toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
