import type { App, Settings } from 'electron';

/**
 * "Start at login" (issue #8), written only when it must be (issue #15
 * items 7 and 8). Pure decisions here; index.ts passes Electron's `app` in.
 */

/** Only Windows and macOS have a login item Electron manages. */
export function loginItemSupported(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'win32' || platform === 'darwin';
}

/**
 * Whether to write the login item now. Only when the setting changed during
 * this run, and only in a packaged app: `setLoginItemSettings` on Windows
 * defaults `enabled` to true, which rewrites the StartupApproved key and undoes
 * a user's "Disabled" in Task Manager (electron.d.ts `Settings.enabled`); and
 * an unpackaged run would register the bare electron(.exe) (`path` defaults to
 * `process.execPath`). `previous` is undefined until the setting was first read.
 */
export function shouldApplyLoginItem(
  previous: boolean | undefined,
  next: boolean,
  isPackaged: boolean,
): boolean {
  return isPackaged && previous !== undefined && previous !== next;
}

/** `args` is Windows-only (electron.d.ts `Settings.args`); macOS says how it was opened instead. */
export function loginItemSettings(enabled: boolean, platform: NodeJS.Platform): Settings {
  return platform === 'win32'
    ? { openAtLogin: enabled, args: [HIDDEN_FLAG] }
    : { openAtLogin: enabled };
}

export const HIDDEN_FLAG = '--hidden';

/**
 * Started by the OS at login: straight to the tray, no window. Windows passes
 * our `--hidden`; macOS ignores `args` and reports
 * `app.getLoginItemSettings().wasOpenedAtLogin` instead.
 */
export function startsHidden(input: {
  argv: readonly string[];
  platform: NodeJS.Platform;
  wasOpenedAtLogin: boolean;
}): boolean {
  return (
    input.argv.includes(HIDDEN_FLAG) || (input.platform === 'darwin' && input.wasOpenedAtLogin)
  );
}

/** Follows the setting: the first value seen is the baseline, each change is written once. */
export class LoginItemSync {
  #previous: boolean | undefined;
  readonly #app: Pick<App, 'isPackaged' | 'setLoginItemSettings'>;
  readonly #platform: NodeJS.Platform;

  constructor(app: Pick<App, 'isPackaged' | 'setLoginItemSettings'>, platform: NodeJS.Platform) {
    this.#app = app;
    this.#platform = platform;
  }

  /** Returns whether the login item was written. */
  update(enabled: boolean): boolean {
    const apply =
      loginItemSupported(this.#platform) &&
      shouldApplyLoginItem(this.#previous, enabled, this.#app.isPackaged);
    this.#previous = enabled;
    if (apply) this.#app.setLoginItemSettings(loginItemSettings(enabled, this.#platform));
    return apply;
  }
}
