import { BrowserWindow, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Same policy as the web host (main/cli/web/server.ts) and renderer/index.html. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'";

export interface RendererLocation {
  /** What the window loads; IPC is accepted only from a frame showing it. */
  url: string;
  preload: string;
}

/** out/main/index.js sits next to out/preload and out/renderer; electron-vite dev sets ELECTRON_RENDERER_URL. */
export function rendererLocation(mainDir: string): RendererLocation {
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  return {
    url:
      devUrl !== undefined && devUrl !== ''
        ? devUrl
        : pathToFileURL(join(mainDir, '..', 'renderer', 'index.html')).href,
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
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (new URL(url).pathname !== new URL(rendererUrl).pathname) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createMainWindow(
  location: RendererLocation,
  dark: boolean,
  route?: string,
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
  void win.loadURL(route === undefined ? location.url : `${location.url}#/${route}`);
  win.once('ready-to-show', () => win.show());
  return win;
}
