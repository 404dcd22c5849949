import {
  app,
  BaseWindow,
  BrowserWindow,
  dialog,
  ipcMain,
  nativeTheme,
  Notification,
  powerMonitor,
  safeStorage,
  shell,
} from 'electron';
import Store from 'electron-store';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from '../core/agent.ts';
import { installProcessGuards } from '../core/process-guards.ts';
import { applyPendingSeeds } from '../core/deploy/apply.ts';
import { tuneForLongRunning } from '../core/runtime-tuning.ts';
import { dataPaths } from '../core/paths.ts';
import { FileSecretStore } from '../core/secrets.ts';
import type { SettingsBackend } from '../core/settings/settings.ts';
import { registerAppScheme, serveRenderer } from './app-protocol.ts';
import { coalesce } from './coalesce.ts';
import { APP_USER_MODEL_ID, DesktopNotifier } from './desktop-notifier.ts';
import { collectDiagnostics } from './diagnostics.ts';
import { registerAgentIpc } from './ipc.ts';
import { expiryNotices, noticeFromEvent } from './notices.ts';
import { setUpShellLog } from './logging.ts';
import { LoginItemSync, loginItemSupported, startsHidden } from './login-item.ts';
import { SafeStorageSecretStore } from './secrets.ts';
import { Shutdown } from './shutdown.ts';
import { wireShutdown } from './system-events.ts';
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
/** The tray follows the state at least this often (retry countdowns, targets connecting). */
const TRAY_REFRESH_MS = 10_000;
/** Bursts of queue and target events become one tray refresh (issue #15 item 8). */
const TRAY_EVENT_COALESCE_MS = 500;
/** Certificates are checked for expiry at start and every 6 hours (one notification per day each). */
const EXPIRY_CHECK_MS = 6 * 3600_000;
const mainDir = import.meta.dirname;

// Before `ready` (docs/api/protocol.md): the renderer is served on app://outpost/.
registerAppScheme();
if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);

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
  const location = rendererLocation(mainDir, app.isPackaged, process.env);
  serveRenderer(location.dir);
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
  const secrets = await SafeStorageSecretStore.open(
    join(dataDir, 'secrets.safe.json'),
    safeStorage,
    new FileSecretStore(paths.secretsFile),
  );
  const agent = await Agent.open({
    dataDir,
    settingsBackend: store as unknown as SettingsBackend,
    secrets,
  });
  // Node 24 ends the process on a rejection nobody handled: in the tray app that
  // would take the agent down with the window; log it instead (issue #14 item 4).
  installProcessGuards(agent.context.log.child('process'));
  log.info('Outpost desktop started', {
    version: agent.context.version,
    dataDir,
    renderer: location.url,
    encryptedSecrets: secrets.encrypted,
  });

  let window: BrowserWindow | undefined;
  let quitting = false;
  const openWindow = (route?: string): void => {
    if (window === undefined || window.isDestroyed()) {
      window = createMainWindow(location, nativeTheme.shouldUseDarkColors, {
        ...(route === undefined ? {} : { route }),
        onLoadFailed: (error) => log.warn('the window could not load its page', error),
      });
      window.on('close', (event) => {
        // Closing the window keeps the agent delivering from the tray.
        if (!quitting) {
          event.preventDefault();
          window?.hide();
        }
      });
    } else if (route !== undefined)
      window.webContents
        .executeJavaScript(`location.hash = ${JSON.stringify(`#/${route}`)}`)
        .catch((error: unknown) => log.warn('could not open the page', { route, error }));
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };
  app.on('second-instance', () => openWindow());
  app.on('activate', () => openWindow());
  // The tray app lives on with no window open.
  app.on('window-all-closed', () => undefined);

  registerAgentIpc(ipcMain, agent, () => window, location.url);

  const notifier = new DesktopNotifier(
    {
      isSupported: () => Notification.isSupported(),
      create: (options) => new Notification(options),
    },
    log,
    process.platform,
  );
  agent.events.onAny((event, payload) => notifier.notify(noticeFromEvent(event, payload as never)));
  const checkExpiry = async (): Promise<void> => {
    const today = new Date().toISOString().slice(0, 10);
    for (const notice of expiryNotices(await agent.api.getIdentity({}), today))
      notifier.notify(notice);
  };

  const iconsDir = app.isPackaged
    ? join(process.resourcesPath, 'build')
    : join(mainDir, '..', '..', 'build');
  let sendingPaused = false;
  const tray = new OutpostTray(iconsDir, {
    open: () => openWindow(),
    pair: () => openWindow('pair'),
    togglePause: () => {
      (sendingPaused ? agent.api.resumeSending({}) : agent.api.pauseSending({}))
        .then(() => refresher.request())
        .catch((error: unknown) => log.warn('pause/resume failed', error));
    },
    toggleStartAtLogin: () => {
      const enabled = !agent.context.settings.read().agent.startAtLogin;
      agent.api
        .updateAgentSettings({ startAtLogin: enabled })
        .then(() => refresher.request())
        .catch((error: unknown) => log.warn('start at login could not be changed', error));
    },
    openLogs: () =>
      void shell
        .openPath(paths.logsDir)
        .catch((error: unknown) => log.warn('logs folder could not be opened', error)),
    collectDiagnostics: () =>
      void saveDiagnostics().catch((error: unknown) => log.warn('diagnostics failed', error)),
    quit: () => app.quit(),
  });
  log.info('tray ready', { iconsDir });

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

  // Written only when the setting changes, and only when packaged (login-item.ts).
  const loginItem = new LoginItemSync(app, process.platform);
  const refreshTray = async (): Promise<void> => {
    const settings = agent.context.settings.read();
    const [targets, stats] = await Promise.all([
      agent.api.listTargets({}),
      agent.api.getQueueStats({}),
    ]);
    if (loginItem.update(settings.agent.startAtLogin))
      log.info('login item written', { startAtLogin: settings.agent.startAtLogin });
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
  const refresher = coalesce(refreshTray, TRAY_EVENT_COALESCE_MS, (error) =>
    log.warn('tray refresh failed', error),
  );
  agent.events.on('target.state', () => refresher.request());
  agent.events.on('queue.item', () => refresher.request());
  const timer = setInterval(() => refresher.request(), TRAY_REFRESH_MS);
  const expiryTimer = setInterval(
    () => void checkExpiry().catch((e: unknown) => log.warn('expiry check failed', e)),
    EXPIRY_CHECK_MS,
  );
  await refreshTray();
  await checkExpiry();

  // A silent install may have left pairing parameters (build/README.md), as `outpost run` applies them.
  for (const seed of await applyPendingSeeds(agent))
    log.info('installer seed', { source: seed.source, status: seed.status });

  const daemon = new AbortController();
  const running = agent
    .run(daemon.signal)
    .catch((error: unknown) => log.error('the agent stopped with an error', error));
  // Every way out closes the agent once, in this order (shutdown.ts, system-events.ts).
  const shutdown = new Shutdown(
    [
      {
        name: 'stop the UI timers',
        run: () => {
          quitting = true;
          clearInterval(timer);
          clearInterval(expiryTimer);
          refresher.stop();
          stopUpdates();
        },
      },
      {
        name: 'stop the agent',
        run: async () => {
          daemon.abort();
          await running;
        },
      },
      { name: 'close the agent', run: () => agent.close() },
      { name: 'remove the tray icon', run: () => tray.destroy() },
    ],
    (step, error) => log.error(`shutdown: ${step} failed`, error),
  );
  const stopUpdates = app.isPackaged
    ? startAutoUpdates(agent, {
        windowVisible: () => window !== undefined && !window.isDestroyed() && window.isVisible(),
        sending: async () => (await agent.api.getQueueStats({})).totals.sending,
        closeForUpdate: () => shutdown.run('update'),
      })
    : () => undefined;
  wireShutdown({
    platform: process.platform,
    app,
    powerMonitor,
    createSessionWindow: () => new BaseWindow({ show: false, skipTaskbar: true }),
    shutdown,
  });

  const hidden = startsHidden({
    argv: process.argv,
    platform: process.platform,
    wasOpenedAtLogin: process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin,
  });
  if (!hidden) openWindow();
}
