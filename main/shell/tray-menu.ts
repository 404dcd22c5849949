import type { MenuItemConstructorOptions } from 'electron';
import type { TrayState } from './tray-state.ts';

export interface TrayActions {
  open(): void;
  pair(): void;
  togglePause(): void;
  toggleStartAtLogin(): void;
  openLogs(): void;
  collectDiagnostics(): void;
  quit(): void;
}

export interface TrayView {
  state: TrayState;
  paused: boolean;
  startAtLogin: boolean;
  /** Only Windows and macOS have a login item Electron can set. */
  startAtLoginSupported: boolean;
  /** Whether pausing is available in this build (the queue can be paused). */
  canPause: boolean;
  labels: TrayLabels;
}

export interface TrayLabels {
  open: string;
  pair: string;
  pause: string;
  resume: string;
  startAtLogin: string;
  openLogs: string;
  diagnostics: string;
  quit: string;
  tooltip: Record<TrayState, string>;
}

export const ENGLISH_TRAY_LABELS: TrayLabels = {
  open: 'Open Outpost',
  pair: 'Pair a server…',
  pause: 'Pause sending',
  resume: 'Resume sending',
  startAtLogin: 'Start at login',
  openLogs: 'Open logs folder',
  diagnostics: 'Collect diagnostics…',
  quit: 'Quit',
  tooltip: {
    ok: 'Outpost: everything delivered',
    busy: 'Outpost: retrying or waiting for a pairing',
    bad: 'Outpost: something failed, open Outpost',
  },
};

/** The tray menu of issue #8, in its order. */
export function trayMenuTemplate(
  view: TrayView,
  actions: TrayActions,
): MenuItemConstructorOptions[] {
  const l = view.labels;
  return [
    { label: l.open, click: actions.open },
    { label: l.pair, click: actions.pair },
    { type: 'separator' },
    { label: view.paused ? l.resume : l.pause, enabled: view.canPause, click: actions.togglePause },
    {
      label: l.startAtLogin,
      type: 'checkbox',
      checked: view.startAtLogin,
      visible: view.startAtLoginSupported,
      click: actions.toggleStartAtLogin,
    },
    { type: 'separator' },
    { label: l.openLogs, click: actions.openLogs },
    { label: l.diagnostics, click: actions.collectDiagnostics },
    { type: 'separator' },
    { label: l.quit, click: actions.quit },
  ];
}
