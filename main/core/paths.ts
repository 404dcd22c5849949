import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_NAME = 'Outpost';

/**
 * The folder Electron's `app.getPath('userData')` gives an app named Outpost,
 * so the CLI and the tray app share one state directory.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_NAME);
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_NAME);
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(home, '.config'), APP_NAME);
}

/** `--data-dir` flag > `OUTPOST_HOME` > the OS default. */
export function resolveDataDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env.OUTPOST_HOME;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return defaultDataDir(process.platform, env);
}

export interface DataPaths {
  root: string;
  settingsFile: string;
  secretsFile: string;
  identityDir: string;
  logsDir: string;
  queueDb: string;
  spoolDir: string;
  /** An OS lock (queue/lock.ts): whoever holds it delivers. */
  deliveryLock: string;
  /** The pid of the delivering process, for display only. */
  deliveryOwner: string;
  historyDb: string;
}

export function dataPaths(root: string): DataPaths {
  return {
    root,
    settingsFile: join(root, 'settings.json'),
    secretsFile: join(root, 'secrets.json'),
    identityDir: join(root, 'identity'),
    logsDir: join(root, 'logs'),
    queueDb: join(root, 'queue.sqlite'),
    spoolDir: join(root, 'spool'),
    deliveryLock: join(root, 'delivery-lock.sqlite'),
    deliveryOwner: join(root, 'delivery-owner.json'),
    historyDb: join(root, 'history.sqlite'),
  };
}
