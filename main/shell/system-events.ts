import type { Shutdown } from './shutdown.ts';

/** What wireShutdown needs from Electron (fakes in unit tests). */
export interface ShutdownDeps {
  platform: NodeJS.Platform;
  app: {
    on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
    quit(): void;
    exit(code?: number): void;
  };
  powerMonitor: {
    on(event: 'shutdown', listener: (event?: { preventDefault(): void }) => void): unknown;
  };
  /**
   * A hidden window that is never shown: Windows sends WM_ENDSESSION to
   * top-level windows only, and Electron reports it as the window event
   * `session-end` (BaseWindow, electron.d.ts); a tray app started at login
   * has no window open. A BaseWindow carries no web page.
   */
  createSessionWindow(): {
    on(event: 'session-end', listener: (event: { reasons: string[] }) => void): unknown;
  };
  shutdown: Shutdown;
}

/**
 * Every way the system or the user ends the app runs the same Shutdown
 * (issue #15 item 11):
 * - `before-quit` (tray Quit, an update's quit): held until the agent is
 *   closed, then the quit goes on;
 * - Windows `session-end` (shutdown, restart, logoff), which `before-quit`
 *   does not see (docs/api/app.md) and which cannot be delayed: the steps run
 *   at once, then the process exits;
 * - `powerMonitor` `shutdown` (Linux, macOS): `preventDefault` asks the
 *   system to wait "in order for the app to exit cleanly", after which the app
 *   must quit (docs/api/power-monitor.md).
 */
export function wireShutdown(deps: ShutdownDeps): void {
  const { app, shutdown } = deps;
  app.on('before-quit', (event) => {
    if (shutdown.done) return;
    event.preventDefault();
    void shutdown.run('quit').finally(() => app.quit());
  });
  if (deps.platform === 'win32') {
    deps.createSessionWindow().on('session-end', () => {
      void shutdown.run('session-end').finally(() => app.exit(0));
    });
  } else {
    deps.powerMonitor.on('shutdown', (event) => {
      event?.preventDefault();
      void shutdown.run('system-shutdown').finally(() => app.quit());
    });
  }
}
