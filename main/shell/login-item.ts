import type { App } from 'electron';

/** "Start at login" (issue #8): the OS login item on Windows and macOS, where Electron manages one. */
export function loginItemSupported(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'win32' || platform === 'darwin';
}

export function applyLoginItem(app: App, enabled: boolean): void {
  if (!loginItemSupported()) return;
  // Started by the OS: straight to the tray, no window.
  app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
}
