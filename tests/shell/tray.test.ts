import { afterEach, describe, expect, it, vi } from 'vitest';
import { coalesce } from '../../main/shell/coalesce.ts';
import { ENGLISH_TRAY_LABELS, type TrayView } from '../../main/shell/tray-menu.ts';

/** Electron's Tray, Menu and nativeImage faked at the module boundary. */
const fake = vi.hoisted(() => ({
  calls: [] as string[],
  menus: [] as Array<{ emit(e: string): void }>,
}));
vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  class Tray extends EventEmitter {
    setImage(image: string) {
      fake.calls.push(`image ${image.split(/[\\/]/).pop()}`);
    }
    setToolTip(text: string) {
      fake.calls.push(`tooltip ${text}`);
    }
    setContextMenu(menu: { label: string }) {
      fake.calls.push(`menu ${menu.label}`);
    }
    destroy() {}
  }
  return {
    Tray,
    nativeImage: { createFromPath: (path: string) => path },
    Menu: {
      buildFromTemplate: (template: Array<{ label?: string }>) => {
        const menu = Object.assign(new EventEmitter(), { label: template[3]!.label! });
        fake.menus.push(menu);
        return menu;
      },
    },
  };
});
const { OutpostTray } = await import('../../main/shell/tray.ts');

const actions = {
  open: () => undefined,
  pair: () => undefined,
  togglePause: () => undefined,
  toggleStartAtLogin: () => undefined,
  openLogs: () => undefined,
  collectDiagnostics: () => undefined,
  quit: () => undefined,
};
const view = (over: Partial<TrayView> = {}): TrayView => ({
  state: 'ok',
  paused: false,
  startAtLogin: false,
  startAtLoginSupported: true,
  canPause: true,
  labels: ENGLISH_TRAY_LABELS,
  ...over,
});

describe('tray refreshes (issue #15 item 8)', () => {
  afterEach(() => {
    fake.calls.length = 0;
    fake.menus.length = 0;
    vi.useRealTimers();
  });

  it('changes only what changed: the same view twice rebuilds nothing', () => {
    const tray = new OutpostTray('/icons', actions);
    tray.update(view());
    const first = fake.calls.length;
    tray.update(view());
    expect(fake.calls.length).toBe(first);
    tray.update(view({ state: 'bad' }));
    expect(fake.calls.slice(first)).toEqual([
      `image ${process.platform === 'darwin' ? 'tray-badTemplate.png' : 'tray-bad.png'}`,
      `tooltip ${ENGLISH_TRAY_LABELS.tooltip.bad}`,
      'menu Pause sending',
    ]);
  });

  it('never replaces the menu while it is open; the latest view follows when it closes', () => {
    const tray = new OutpostTray('/icons', actions);
    tray.update(view());
    fake.menus.at(-1)!.emit('menu-will-show');
    fake.calls.length = 0;
    tray.update(view({ paused: true }));
    tray.update(view({ paused: true, state: 'busy' }));
    expect(fake.calls).toEqual([]);
    fake.menus.at(-1)!.emit('menu-will-close');
    expect(fake.calls.filter((c) => c.startsWith('menu'))).toEqual(['menu Resume sending']);
    expect(fake.calls.some((c) => c.startsWith('tooltip') && c.includes('retrying'))).toBe(true);
  });

  it('a burst of events becomes one refresh, and one more if asked while it runs', async () => {
    vi.useFakeTimers();
    let runs = 0;
    let finish: () => void = () => undefined;
    const refresher = coalesce(
      () => {
        runs++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
      500,
      () => undefined,
    );
    for (let i = 0; i < 100; i++) refresher.request();
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toBe(1);
    refresher.request();
    refresher.request();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toBe(2);
    finish();
    refresher.stop();
    refresher.request();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
  });
});
