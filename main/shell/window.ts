import { BrowserWindow, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { isRendererUrl, rendererUrlFor } from './renderer-url.ts';

/** Same policy as the web host (main/cli/web/server.ts) and renderer/index.html. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'";

export interface RendererLocation {
  /** What the window loads; IPC is accepted only from a frame showing it. */
  url: string;
  /** The built renderer, served on app://outpost/ (app-protocol.ts). */
  dir: string;
  preload: string;
}

/**
 * out/main/index.js sits next to out/preload and out/renderer. The page is
 * app://outpost/index.html, or electron-vite's dev server in an unpackaged run
 * (renderer-url.ts says why never when packaged).
 */
export function rendererLocation(
  mainDir: string,
  isPackaged: boolean,
  env: NodeJS.ProcessEnv,
): RendererLocation {
  return {
    url: rendererUrlFor(isPackaged, env),
    dir: join(mainDir, '..', 'renderer'),
    preload: join(mainDir, '..', 'preload', 'index.cjs'),
  };
}

/** Locks down every webContents: no new windows, no navigation away, no webviews, no permissions. */
export function hardenSessions(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(permission === 'clipboard-sanitized-write' || permission === 'notifications'),
  );
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

export function hardenContents(contents: WebContents, rendererUrl: string): void {
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser, never inside the app.
    if (url.startsWith('https://')) shell.openExternal(url).catch(() => undefined);
    return { action: 'deny' };
  });
  // Scheme, host and path (or the dev server's full origin) must be ours: a
  // same-path page elsewhere (https://evil/<same path>) is refused (issue #14 item 10).
  contents.on('will-navigate', (event, url) => {
    if (!isRendererUrl(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isRendererUrl(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createMainWindow(
  location: RendererLocation,
  dark: boolean,
  options: { route?: string; onLoadFailed: (error: unknown) => void },
): BrowserWindow {
  const win = new BrowserWindow({
    width: 1180,
    height: 820,
    minWidth: 760,
    minHeight: 520,
    show: false,
    title: 'Outpost',
    backgroundColor: dark ? '#0e1419' : '#f4f6f8',
    autoHideMenuBar: true,
    webPreferences: {
      preload: location.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  hardenContents(win.webContents, location.url);
  win
    .loadURL(options.route === undefined ? location.url : `${location.url}#/${options.route}`)
    .catch(options.onLoadFailed);
  win.once('ready-to-show', () => win.show());
  return win;
}
