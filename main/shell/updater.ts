import { app } from 'electron';
import electronUpdater from 'electron-updater';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent } from '../core/agent.ts';
import {
  packageTypeFor,
  parseBuildInfo,
  parseUpdateFeed,
  updateDecision,
  type BuildInfo,
  type UpdateFeed,
} from './update-policy.ts';
import { shouldInstallUpdate } from './shutdown.ts';

/** Let the agent settle (pairings, queue) before the first network check. */
const FIRST_CHECK_DELAY_MS = 60_000;
const CHECK_INTERVAL_MS = 6 * 60 * 60_000;
/** How often a downloaded update looks for a quiet moment to install. */
const INSTALL_POLL_MS = 5 * 60_000;

export interface UpdateInstallHooks {
  windowVisible(): boolean;
  /** Items being sent right now. */
  sending(): Promise<number>;
  /** Closes the agent (shutdown.ts) before the updater quits the app. */
  closeForUpdate(): Promise<void>;
}

/**
 * Automatic updates with electron-updater (issue #9): downloads in the
 * background, only when update-policy.ts allows it for this kind of install
 * (issue #15 items 6, 9, 10). The downloaded update is installed at the first
 * quiet moment (shutdown.ts `shouldInstallUpdate`) rather than only on a
 * normal quit, which a tray app seldom sees (item 11); install-on-quit stays
 * on for the quits that do happen. The setting is read before every check, so
 * turning it off takes effect at once. Returns a function that stops the timers.
 */
export function startAutoUpdates(agent: Agent, hooks: UpdateInstallHooks): () => void {
  const { autoUpdater } = electronUpdater;
  const log = agent.context.log;
  autoUpdater.logger = {
    info: (message?: unknown) => log.info(`updater: ${String(message)}`),
    warn: (message?: unknown) => log.warn(`updater: ${String(message)}`),
    error: (message?: unknown) => log.error(`updater: ${String(message)}`),
    debug: (message: string) => log.debug(`updater: ${message}`),
  };
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.allowDowngrade = false;
  autoUpdater.allowPrerelease = false;
  let downloaded = false;
  autoUpdater.on('update-downloaded', (info) => {
    downloaded = true;
    agent.events.emit('notice', {
      level: 'info',
      title: 'Update ready',
      body: `Outpost ${info.version} has been downloaded and will be installed when Outpost is idle or quits.`,
    });
  });
  autoUpdater.on('error', (error) => log.warn('update check failed', { error: error.message }));

  let lastReason = '';
  const check = async (): Promise<void> => {
    const build = await readBuildInfo();
    const decision = updateDecision({
      isPackaged: app.isPackaged,
      platform: process.platform,
      packageType: packageTypeFor(process.platform, process.env, build),
      signed: build?.signed[process.platform === 'darwin' ? 'darwin' : 'win32'] ?? false,
      settingEnabled: agent.context.settings.read().agent.autoUpdate,
      feed: await readFeed(),
    });
    if (decision.reason !== lastReason) log.info(`automatic updates: ${decision.reason}`);
    lastReason = decision.reason;
    if (!decision.check) return;
    await autoUpdater.checkForUpdates();
  };
  const installIfQuiet = async (): Promise<void> => {
    if (
      !shouldInstallUpdate({
        downloaded,
        windowVisible: hooks.windowVisible(),
        sending: await hooks.sending(),
      })
    )
      return;
    log.info('installing the downloaded update and restarting');
    await hooks.closeForUpdate();
    autoUpdater.quitAndInstall(true, true);
  };
  const failed = (what: string) => (error: unknown) =>
    log.warn(`${what} failed`, { error: (error as Error).message });

  const first = setTimeout(() => void check().catch(failed('update check')), FIRST_CHECK_DELAY_MS);
  const every = setInterval(() => void check().catch(failed('update check')), CHECK_INTERVAL_MS);
  const install = setInterval(
    () => void installIfQuiet().catch(failed('update install')),
    INSTALL_POLL_MS,
  );
  for (const timer of [first, every, install]) timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
    clearInterval(install);
  };
}

async function readFeed(): Promise<UpdateFeed | undefined> {
  try {
    return parseUpdateFeed(await readFile(join(process.resourcesPath, 'app-update.yml'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** extraMetadata.outpostBuild in the packed package.json (build/electron-builder.config.cjs). */
async function readBuildInfo(): Promise<BuildInfo | undefined> {
  try {
    return parseBuildInfo(await readFile(join(app.getAppPath(), 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
}
