import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Shutdown, shouldInstallUpdate } from '../../main/shell/shutdown.ts';
import { wireShutdown } from '../../main/shell/system-events.ts';

/** Electron's app, powerMonitor and a window faked at the module boundary. */
function fakeElectron(platform: NodeJS.Platform) {
  const calls: string[] = [];
  const app = Object.assign(new EventEmitter(), {
    quit: () => {
      calls.push('quit');
      // As Electron does: a quit emits before-quit, which may hold it.
      let held = false;
      app.emit('before-quit', { preventDefault: () => (held = true) });
      if (!held) calls.push('quit proceeds');
    },
    exit: (code?: number) => void calls.push(`exit ${code ?? 0}`),
  });
  const powerMonitor = new EventEmitter();
  const sessionWindow = new EventEmitter();
  const steps: string[] = [];
  let release: () => void = () => undefined;
  const agentClosed = new Promise<void>((resolve) => (release = resolve));
  const shutdown = new Shutdown(
    [
      { name: 'stop timers', run: () => void steps.push('stop timers') },
      {
        name: 'close the agent',
        run: async () => {
          steps.push('close the agent');
          await agentClosed;
          steps.push('agent closed');
        },
      },
      {
        name: 'remove tray',
        run: () => {
          steps.push('remove tray');
          throw new Error('tray already gone');
        },
      },
    ],
    (step) => steps.push(`failed: ${step}`),
  );
  wireShutdown({
    platform,
    app,
    powerMonitor,
    createSessionWindow: () => sessionWindow,
    shutdown,
  });
  return { app, powerMonitor, sessionWindow, shutdown, calls, steps, release: () => release() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('one way out (issue #15 item 11)', () => {
  it('Quit holds the quit until the agent is closed, then lets it through', async () => {
    const e = fakeElectron('linux');
    e.app.quit();
    await settle();
    // Held: the agent is still closing.
    expect(e.calls).toEqual(['quit']);
    expect(e.steps).toEqual(['stop timers', 'close the agent']);
    e.release();
    await settle();
    expect(e.steps).toEqual([
      'stop timers',
      'close the agent',
      'agent closed',
      'remove tray',
      'failed: remove tray',
    ]);
    expect(e.calls).toEqual(['quit', 'quit', 'quit proceeds']);
  });

  it('Windows session end (no before-quit there) closes the agent, then exits', async () => {
    const e = fakeElectron('win32');
    e.sessionWindow.emit('session-end', { reasons: ['logoff'] });
    e.release();
    await settle();
    expect(e.shutdown.reason).toBe('session-end');
    expect(e.steps.slice(0, 3)).toEqual(['stop timers', 'close the agent', 'agent closed']);
    expect(e.calls).toEqual(['exit 0']);
  });

  it('Linux/macOS system shutdown asks the system to wait, closes the agent, then quits', async () => {
    const e = fakeElectron('darwin');
    let delayed = false;
    e.powerMonitor.emit('shutdown', { preventDefault: () => (delayed = true) });
    expect(delayed).toBe(true);
    e.release();
    await settle();
    expect(e.shutdown.reason).toBe('system-shutdown');
    expect(e.calls).toEqual(['quit', 'quit proceeds']);
  });

  it('runs the steps once whoever asks, however often', async () => {
    const e = fakeElectron('linux');
    e.powerMonitor.emit('shutdown', { preventDefault: () => undefined });
    e.app.quit();
    void e.shutdown.run('update');
    e.release();
    await settle();
    expect(e.steps.filter((s) => s === 'close the agent')).toHaveLength(1);
    expect(e.shutdown.reason).toBe('system-shutdown');
  });
});

describe('installing a downloaded update', () => {
  it('waits until the window is hidden and nothing is being sent', () => {
    expect(shouldInstallUpdate({ downloaded: true, windowVisible: false, sending: 0 })).toBe(true);
    expect(shouldInstallUpdate({ downloaded: true, windowVisible: true, sending: 0 })).toBe(false);
    expect(shouldInstallUpdate({ downloaded: true, windowVisible: false, sending: 2 })).toBe(false);
    expect(shouldInstallUpdate({ downloaded: false, windowVisible: false, sending: 0 })).toBe(
      false,
    );
  });
});
