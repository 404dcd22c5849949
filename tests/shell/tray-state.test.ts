import { describe, expect, it } from 'vitest';
import type { TargetSummary } from '../../main/core/contract/index.ts';
import {
  ENGLISH_TRAY_LABELS,
  trayMenuTemplate,
  type TrayActions,
} from '../../main/shell/tray-menu.ts';
import { TRAY_LABELS } from '../../main/shell/tray-labels.ts';
import { trayState } from '../../main/shell/tray-state.ts';

function target(state: TargetSummary['status']['state'], paused = false): TargetSummary {
  return {
    name: `t-${state}`,
    kind: 'tentacle',
    paused,
    createdAt: '',
    config: {},
    status: { state },
    checkNaming: [],
  };
}

describe('tray state', () => {
  it('is ok when every target is connected or idle and nothing waits', () => {
    expect(trayState([target('ready'), target('idle')], { queued: 0, failed: 0 })).toBe('ok');
    expect(trayState([], undefined)).toBe('ok');
  });

  it('is busy while a target retries, connects or waits for a pairing, or items wait', () => {
    expect(trayState([target('ready'), target('retrying')], undefined)).toBe('busy');
    expect(trayState([target('pairing')], undefined)).toBe('busy');
    expect(trayState([target('ready')], { queued: 3, failed: 0 })).toBe('busy');
  });

  it('is bad when a target failed or an item failed, even if others retry', () => {
    expect(trayState([target('retrying'), target('failed')], undefined)).toBe('bad');
    expect(trayState([target('ready')], { queued: 0, failed: 1 })).toBe('bad');
  });

  it('ignores paused targets', () => {
    expect(trayState([target('failed', true), target('ready')], undefined)).toBe('ok');
  });
});

describe('tray menu', () => {
  const actions: TrayActions = {
    open: () => undefined,
    pair: () => undefined,
    togglePause: () => undefined,
    toggleStartAtLogin: () => undefined,
    openLogs: () => undefined,
    collectDiagnostics: () => undefined,
    quit: () => undefined,
  };

  it('lists the items of the issue in order, and swaps Pause for Resume when paused', () => {
    const view = {
      state: 'ok' as const,
      paused: false,
      startAtLogin: true,
      startAtLoginSupported: true,
      canPause: true,
      labels: ENGLISH_TRAY_LABELS,
    };
    const labels = trayMenuTemplate(view, actions)
      .filter((i) => i.type !== 'separator')
      .map((i) => i.label);
    expect(labels).toEqual([
      'Open Outpost',
      'Pair a server…',
      'Pause sending',
      'Start at login',
      'Open logs folder',
      'Collect diagnostics…',
      'Quit',
    ]);
    const paused = trayMenuTemplate({ ...view, paused: true }, actions);
    expect(paused.some((i) => i.label === 'Resume sending')).toBe(true);
    const login = trayMenuTemplate(view, actions).find((i) => i.label === 'Start at login');
    expect(login).toMatchObject({ type: 'checkbox', checked: true, visible: true });
  });

  it('has every label in French and German', () => {
    for (const labels of Object.values(TRAY_LABELS)) {
      for (const value of [
        ...Object.values(labels).filter((v) => typeof v === 'string'),
        ...Object.values(labels.tooltip),
      ]) {
        expect(value).not.toBe('');
      }
    }
    expect(TRAY_LABELS.fr.quit).toBe('Quitter');
    expect(TRAY_LABELS.de.open).toBe('Outpost öffnen');
  });
});
