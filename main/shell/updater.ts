import { app } from 'electron';
import electronUpdater from 'electron-updater';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent } from '../core/agent.ts';
import { parseUpdateFeed, updateDecision, type UpdateFeed } from './update-policy.ts';

/** Let the agent settle (pairings, queue) before the first network check. */
const FIRST_CHECK_DELAY_MS = 60_000;
const CHECK_INTERVAL_MS = 6 * 60 * 60_000;

/**
 * Automatic updates with electron-updater (issue #9): downloads in the
 * background, installs on quit, only when update-policy.ts allows it. The
 * setting is read before every check, so turning it off takes effect at once.
 * Returns a function that stops the timers. Never imported by main/core.
 */
export function startAutoUpdates(agent: Agent): () => void {
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
  autoUpdater.on('update-downloaded', (info) => {
    agent.events.emit('notice', {
      level: 'info',
      title: 'Update ready',
      body: `Outpost ${info.version} has been downloaded and will be installed when Outpost quits.`,
    });
  });
  autoUpdater.on('error', (error) => log.warn('update check failed', { error: error.message }));

  let lastReason = '';
  const check = async (): Promise<void> => {
    const decision = updateDecision({
      isPackaged: app.isPackaged,
      platform: process.platform,
      settingEnabled: agent.context.settings.read().agent.autoUpdate,
      feed: await readFeed(),
    });
    if (decision.reason !== lastReason) log.info(`automatic updates: ${decision.reason}`);
    lastReason = decision.reason;
    if (!decision.check) return;
    try {
      await autoUpdater.checkForUpdates();
    } catch (error) {
      log.warn('update check failed', { error: (error as Error).message });
    }
  };

  const first = setTimeout(() => void check(), FIRST_CHECK_DELAY_MS);
  const every = setInterval(() => void check(), CHECK_INTERVAL_MS);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}

async function readFeed(): Promise<UpdateFeed | undefined> {
  try {
    return parseUpdateFeed(await readFile(join(process.resourcesPath, 'app-update.yml'), 'utf8'));
  } catch {
    return undefined;
  }
}
