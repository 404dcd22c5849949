import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  nativeTheme,
  Notification,
  safeStorage,
  shell,
} from 'electron';
import Store from 'electron-store';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from '../core/agent.ts';
import { applyPendingSeeds } from '../core/deploy/apply.ts';
import { tuneForLongRunning } from '../core/runtime-tuning.ts';
import { dataPaths } from '../core/paths.ts';
import { FileSecretStore } from '../core/secrets.ts';
import type { SettingsBackend } from '../core/settings/settings.ts';
import { collectDiagnostics } from './diagnostics.ts';
import { registerAgentIpc } from './ipc.ts';
import { expiryNotices, NoticeGate, noticeFromEvent, type DesktopNotice } from './notices.ts';
import { setUpShellLog } from './logging.ts';
import { applyLoginItem, loginItemSupported } from './login-item.ts';
import { SafeStorageSecretStore } from './secrets.ts';
import { startAutoUpdates } from './updater.ts';
import { OutpostTray } from './tray.ts';
import { TRAY_LABELS } from './tray-labels.ts';
import { trayState } from './tray-state.ts';
import { createMainWindow, hardenContents, hardenSessions, rendererLocation } from './window.ts';

/**
 * The desktop app (issue #8): a thin shell over the core. It owns the
 * window, the tray, the login item, notifications and the OS keychain; every
 * user action is an AgentApi call, exactly as under `outpost ui`.
 */
const TRAY_REFRESH_MS = 10_000;
/** Certificates are checked for expiry at start and every 6 hours (one notification per day each). */
const EXPIRY_CHECK_MS = 6 * 3600_000;
const mainDir = import.meta.dirname;

if (!app.requestSingleInstanceLock()) {
  // A second launch only brings the running one forward ('second-instance' below).
  app.quit();
} else {
  start().catch((error: unknown) => {
    // E.g. a settings.json written by a newer Outpost: say it, do not linger without a window.
    dialog.showErrorBox('Outpost cannot start', (error as Error).message);
    app.exit(1);
  });
}

async function start(): Promise<void> {
  tuneForLongRunning();
  await app.whenReady();
  const dataDir =
    process.env.OUTPOST_HOME !== undefined && process.env.OUTPOST_HOME !== ''
      ? process.env.OUTPOST_HOME
      : app.getPath('userData');
  const paths = dataPaths(dataDir);
  const log = setUpShellLog(paths.logsDir);
  const location = rendererLocation(mainDir);
  hardenSessions();
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, location.url));

  // electron-store over the very settings.json the CLI's `conf` backend uses.
  const store = new Store<Record<string, unknown>>({
    cwd: dataDir,
    name: 'settings',
    accessPropertiesByDotNotation: false,
    configFileMode: 0o600,
    clearInvalidConfig: false,
  });
  const secrets = new SafeStorageSecretStore(
    join(dataDir, 'secrets.safe.json'),
    safeStorage,
    new FileSecretStore(paths.secretsFile),
  );
  const agent = await Agent.open({
    dataDir,
    settingsBackend: store as unknown as SettingsBackend,
    secrets,
  });
  log.info('Outpost desktop started', {
    version: agent.context.version,
    dataDir,
    encryptedSecrets: secrets.encrypted,
  });

  let window: BrowserWindow | undefined;
  let quitting = false;
  const openWindow = (route?: string): void => {
    if (window === undefined || window.isDestroyed()) {
      window = createMainWindow(location, nativeTheme.shouldUseDarkColors, route);
      window.on('close', (event) => {
        // Closing the window keeps the agent delivering from the tray.
        if (!quitting) {
          event.preventDefault();
          window?.hide();
        }
      });
    } else if (route !== undefined)
      void window.webContents.executeJavaScript(`location.hash = ${JSON.stringify(`#/${route}`)}`);
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };
  app.on('second-instance', () => openWindow());
  app.on('activate', () => openWindow());
  // The tray app lives on with no window open.
  app.on('window-all-closed', () => undefined);

  registerAgentIpc(ipcMain, agent, () => window, location.url);

  const gate = new NoticeGate();
  const notify = (notice: DesktopNotice | undefined): void => {
    const shown = gate.admit(notice);
    if (shown === undefined) return;
    log.info('notification', { title: shown.title });
    if (Notification.isSupported())
      new Notification({ title: shown.title, body: shown.body }).show();
  };
  agent.events.onAny((event, payload) => notify(noticeFromEvent(event, payload as never)));
  const checkExpiry = async (): Promise<void> => {
    const today = new Date().toISOString().slice(0, 10);
    for (const notice of expiryNotices(await agent.api.getIdentity({}), today)) notify(notice);
  };

  const iconsDir = app.isPackaged
    ? join(process.resourcesPath, 'build')
    : join(mainDir, '..', '..', 'build');
  let sendingPaused = false;
  const tray = new OutpostTray(iconsDir, {
    open: () => openWindow(),
    pair: () => openWindow('pair'),
    togglePause: () => {
      void (sendingPaused ? agent.api.resumeSending({}) : agent.api.pauseSending({})).then(() =>
        refreshTray(),
      );
    },
    toggleStartAtLogin: () => {
      const enabled = !agent.context.settings.read().agent.startAtLogin;
      void agent.api.updateAgentSettings({ startAtLogin: enabled }).then(() => refreshTray());
    },
    openLogs: () => void shell.openPath(paths.logsDir),
    collectDiagnostics: () => void saveDiagnostics(),
    quit: () => {
      quitting = true;
      app.quit();
    },
  });

  const saveDiagnostics = async (): Promise<void> => {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const choice = await dialog.showSaveDialog({
      title: TRAY_LABELS.en.diagnostics,
      defaultPath: join(app.getPath('downloads'), `outpost-diagnostics-${stamp}.zip`),
      filters: [{ name: 'Zip', extensions: ['zip'] }],
    });
    if (choice.canceled || choice.filePath === undefined) return;
    const zip = await collectDiagnostics(agent, {
      ...process.versions,
      electron: process.versions.electron ?? '',
    });
    await writeFile(choice.filePath, zip, { mode: 0o600 });
    shell.showItemInFolder(choice.filePath);
  };

  const refreshTray = async (): Promise<void> => {
    const settings = agent.context.settings.read();
    const [targets, stats] = await Promise.all([
      agent.api.listTargets({}),
      agent.api.getQueueStats({}),
    ]);
    applyLoginItem(app, settings.agent.startAtLogin);
    sendingPaused = stats.paused;
    tray.update({
      state: trayState(targets, {
        queued: stats.totals.queued + stats.totals.sending,
        failed: stats.totals.failed,
      }),
      paused: stats.paused,
      startAtLogin: settings.agent.startAtLogin,
      startAtLoginSupported: loginItemSupported(),
      canPause: true,
      labels: TRAY_LABELS[settings.agent.language],
    });
  };
  agent.events.on('target.state', () => void refreshTray());
  agent.events.on('queue.item', () => void refreshTray());
  const timer = setInterval(
    () => void refreshTray().catch((e: unknown) => log.warn('tray refresh failed', e)),
    TRAY_REFRESH_MS,
  );
  const expiryTimer = setInterval(
    () => void checkExpiry().catch((e: unknown) => log.warn('expiry check failed', e)),
    EXPIRY_CHECK_MS,
  );
  await refreshTray();
  await checkExpiry();

  // A silent install may have left pairing parameters (build/README.md), as `outpost run` applies them.
  for (const seed of await applyPendingSeeds(agent))
    log.info('installer seed', { source: seed.source, status: seed.status });
  const stopUpdates = app.isPackaged ? startAutoUpdates(agent) : () => undefined;

  const daemon = new AbortController();
  const running = agent.run(daemon.signal);
  if (!process.argv.includes('--hidden')) openWindow();

  app.on('before-quit', (event) => {
    if (daemon.signal.aborted) return;
    quitting = true;
    event.preventDefault();
    clearInterval(timer);
    clearInterval(expiryTimer);
    stopUpdates();
    daemon.abort();
    void running
      .then(() => agent.close())
      .finally(() => {
        tray.destroy();
        app.exit(0);
      });
  });
}
