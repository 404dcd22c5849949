import type { TargetSummary } from '../core/contract/index.ts';

/**
 * The tray icon's colour (issue #8): green when everything is delivered,
 * amber while something retries or a pairing waits for the admin, red when
 * something failed and needs a person.
 */
export type TrayState = 'ok' | 'busy' | 'bad';

export interface QueueCounts {
  queued: number;
  failed: number;
}

export function trayState(
  targets: readonly TargetSummary[],
  queue: QueueCounts | undefined,
): TrayState {
  const active = targets.filter((t) => !t.paused);
  if ((queue?.failed ?? 0) > 0 || active.some((t) => t.status.state === 'failed')) return 'bad';
  if (
    active.some(
      (t) =>
        t.status.state === 'retrying' ||
        t.status.state === 'pairing' ||
        t.status.state === 'connecting',
    )
  ) {
    return 'busy';
  }
  if ((queue?.queued ?? 0) > 0) return 'busy';
  return 'ok';
}

export const TRAY_ICON_FILES: Record<TrayState, string> = {
  ok: 'tray-ok.png',
  busy: 'tray-busy.png',
  bad: 'tray-bad.png',
};

/**
 * The menu bar of macOS wants template images (black + alpha, recoloured by
 * the system for light/dark bars): the name must end in `Template`.
 */
export function trayIconFile(state: TrayState, platform: NodeJS.Platform): string {
  const file = TRAY_ICON_FILES[state];
  return platform === 'darwin' ? file.replace(/\.png$/, 'Template.png') : file;
}
