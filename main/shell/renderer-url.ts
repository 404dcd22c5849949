import { posix, win32 } from 'node:path';

/**
 * Where the window's page comes from, and which URLs count as "our page"
 * (issue #15 item 1, issue #14 item 10). Pure: tested without Electron.
 *
 * The renderer is served from a privileged custom scheme, `app://outpost/…`,
 * never from `file://`: the packaged app flips the `grantFileProtocolExtraPrivileges`
 * fuse off (build/electron-builder.config.cjs), and then a `file://` page can
 * neither load its `<script type="module" crossorigin>` bundle nor read inside
 * app.asar (Electron's docs/tutorial/fuses.md, "grantFileProtocolExtraPrivileges";
 * docs/tutorial/security.md §18 "prefer usage of custom protocols").
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'outpost';
export const RENDERER_ENTRY = 'index.html';
export const APP_RENDERER_URL = `${APP_SCHEME}://${APP_HOST}/${RENDERER_ENTRY}`;

/**
 * The privileges `protocol.registerSchemesAsPrivileged` gives `app:` (before
 * `ready`, docs/api/protocol.md): standard (relative URLs, an origin of its
 * own, web storage), secure (a secure context), fetch, V8 code cache. No
 * `bypassCSP`: the page keeps the strict CSP of renderer/index.html.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
} as const;

/**
 * The URL the window loads. electron-vite's dev server sets
 * ELECTRON_RENDERER_URL; it is honoured only in an unpackaged run (`npm run
 * dev`), so a variable in a user's environment can never point the packaged
 * app, and with it the IPC guard's notion of "our page", at another server.
 */
export function rendererUrlFor(isPackaged: boolean, env: NodeJS.ProcessEnv): string {
  const dev = env.ELECTRON_RENDERER_URL;
  if (!isPackaged && dev !== undefined && dev !== '' && isLoopbackHttp(dev)) return dev;
  return APP_RENDERER_URL;
}

function isLoopbackHttp(url: string): boolean {
  const parsed = parse(url);
  return (
    parsed !== undefined &&
    parsed.protocol === 'http:' &&
    ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname)
  );
}

/**
 * Whether `url` shows our renderer: the IPC guard (sender frame) and the
 * navigation guard share this one check. For `app:` the scheme, host and path
 * must all match (WHATWG's `URL.origin` of a non-special scheme is "null",
 * which would make every `app:` URL "same origin"); routing uses the hash,
 * which may differ. For the dev server the full origin (scheme, host and
 * port) must match: its path changes with routing.
 */
export function isRendererUrl(url: string, rendererUrl: string): boolean {
  const actual = parse(url);
  const expected = parse(rendererUrl);
  if (actual === undefined || expected === undefined) return false;
  if (actual.protocol !== expected.protocol) return false;
  if (expected.protocol === `${APP_SCHEME}:`) {
    return (
      actual.host === expected.host &&
      actual.pathname === expected.pathname &&
      actual.username === '' &&
      actual.password === ''
    );
  }
  if (expected.protocol === 'http:' || expected.protocol === 'https:')
    return actual.origin === expected.origin;
  return false;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * The file under `rendererDir` that an `app://outpost/…` request names, or
 * undefined when it names none: another host, a path that leaves the folder
 * (`..`, also percent-encoded, or a backslash on Windows), a NUL byte, or a
 * malformed escape. `/` is index.html. `path` is node:path's posix or win32
 * flavour (the platform's by default), so Windows rules are tested anywhere.
 */
export function rendererFileFor(
  requestUrl: string,
  rendererDir: string,
  path: typeof posix = process.platform === 'win32' ? win32 : posix,
): string | undefined {
  const url = parse(requestUrl);
  if (url === undefined || url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST)
    return undefined;
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  if (relative.includes('\0')) return undefined;
  if (relative === '/' || relative === '') relative = `/${RENDERER_ENTRY}`;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, `.${relative}`);
  const inside = path.relative(root, file);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return undefined;
  return file;
}
