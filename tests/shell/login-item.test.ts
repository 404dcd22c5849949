import { describe, expect, it } from 'vitest';
import {
  LoginItemSync,
  loginItemSettings,
  shouldApplyLoginItem,
  startsHidden,
} from '../../main/shell/login-item.ts';

/** Electron's `app` faked at the module boundary: records every login-item write. */
function fakeApp(isPackaged: boolean) {
  const writes: unknown[] = [];
  return {
    writes,
    isPackaged,
    setLoginItemSettings: (settings: unknown) => void writes.push(settings),
  };
}

describe('"Start at login" (issue #15 items 7, 8)', () => {
  it('writes the login item only when the setting changes, never on every tray refresh', () => {
    const app = fakeApp(true);
    const sync = new LoginItemSync(app, 'win32');
    // Start-up and the 10-second refreshes: the user's Task Manager "Disabled" stays untouched.
    for (let i = 0; i < 5; i++) sync.update(true);
    expect(app.writes).toEqual([]);
    sync.update(false);
    sync.update(false);
    sync.update(true);
    expect(app.writes).toEqual([
      { openAtLogin: false, args: ['--hidden'] },
      { openAtLogin: true, args: ['--hidden'] },
    ]);
  });

  it('never registers an unpackaged run (it would be the bare electron executable)', () => {
    const app = fakeApp(false);
    const sync = new LoginItemSync(app, 'darwin');
    sync.update(false);
    sync.update(true);
    expect(app.writes).toEqual([]);
    expect(shouldApplyLoginItem(false, true, false)).toBe(false);
    expect(shouldApplyLoginItem(undefined, true, true)).toBe(false);
    expect(shouldApplyLoginItem(false, true, true)).toBe(true);
  });

  it('does nothing on Linux, where Electron manages no login item', () => {
    const app = fakeApp(true);
    const sync = new LoginItemSync(app, 'linux');
    sync.update(false);
    sync.update(true);
    expect(app.writes).toEqual([]);
  });

  it('passes --hidden only on Windows; macOS says it opened the app at login instead', () => {
    expect(loginItemSettings(true, 'win32')).toEqual({ openAtLogin: true, args: ['--hidden'] });
    expect(loginItemSettings(true, 'darwin')).toEqual({ openAtLogin: true });
    expect(
      startsHidden({ argv: ['Outpost', '--hidden'], platform: 'win32', wasOpenedAtLogin: false }),
    ).toBe(true);
    expect(startsHidden({ argv: ['Outpost'], platform: 'darwin', wasOpenedAtLogin: true })).toBe(
      true,
    );
    expect(startsHidden({ argv: ['Outpost'], platform: 'darwin', wasOpenedAtLogin: false })).toBe(
      false,
    );
    expect(startsHidden({ argv: ['Outpost'], platform: 'win32', wasOpenedAtLogin: true })).toBe(
      false,
    );
  });
});
