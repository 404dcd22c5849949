import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DesktopNotifier, type NotificationFactory } from '../../main/shell/desktop-notifier.ts';

/** Electron's Notification faked at the module boundary; `failWith` makes show() emit `failed`, as macOS does for an unsigned app. */
function fakeNotifications(failWith?: string) {
  const shown: Array<{ title: string; body: string }> = [];
  const factory: NotificationFactory = {
    isSupported: () => true,
    create: (options) => {
      const n = new EventEmitter();
      return Object.assign(n, {
        show: () => {
          if (failWith === undefined) shown.push(options);
          else n.emit('failed', {}, failWith);
        },
      }) as never;
    },
  };
  return { shown, factory };
}

function memoryLog() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  return {
    lines,
    info: (message: string, fields?: Record<string, unknown>) =>
      lines.push({ level: 'info', message, fields }),
    warn: (message: string, fields?: Record<string, unknown>) =>
      lines.push({ level: 'warn', message, fields }),
  };
}

const notice = (key: string) => ({ title: `T ${key}`, body: 'B', key });

describe('desktop notifications (issue #15 item 6)', () => {
  it('shows each notice once', () => {
    const { shown, factory } = fakeNotifications();
    const notifier = new DesktopNotifier(factory, memoryLog(), 'win32');
    notifier.notify(notice('a'));
    notifier.notify(notice('a'));
    notifier.notify(notice('b'));
    expect(shown.map((s) => s.title)).toEqual(['T a', 'T b']);
  });

  it("handles 'failed' (an unsigned macOS app): logged once per reason with what it means, and the agent goes on", () => {
    const { factory } = fakeNotifications('UNErrorDomain error 1');
    const log = memoryLog();
    const notifier = new DesktopNotifier(factory, log, 'darwin');
    notifier.notify(notice('a'));
    notifier.notify(notice('b'));
    notifier.notify(notice('c'));
    expect(notifier.failures).toEqual(['UNErrorDomain error 1']);
    const warnings = log.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields?.hint).toMatch(/code-signed/);
  });

  it('a system without notifications is said once, not retried', () => {
    const log = memoryLog();
    const notifier = new DesktopNotifier(
      {
        isSupported: () => false,
        create: () => {
          throw new Error('not reached');
        },
      },
      log,
      'linux',
    );
    notifier.notify(notice('a'));
    notifier.notify(notice('b'));
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });
});
