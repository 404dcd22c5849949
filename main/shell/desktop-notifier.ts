import { NoticeGate, type DesktopNotice } from './notices.ts';

/** The part of Electron's `Notification` used here (a fake in unit tests). */
export interface NotificationLike {
  show(): void;
  once(event: 'failed', listener: (event: unknown, error: string) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

export interface NotificationFactory {
  isSupported(): boolean;
  create(options: { title: string; body: string }): NotificationLike;
}

interface NotifierLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * build/electron-builder.config.cjs `appId`: the AppUserModelID of the
 * installers' shortcuts. Windows shows a toast only for an app that has one,
 * and only Squirrel installs set it by themselves (issue #15 item 5); it is
 * also the registry name of the Windows login item.
 */
export const APP_USER_MODEL_ID = 'org.outpost.agent';

/** Live notifications kept referenced until they close or fail (a collected one loses its events). */
const MAX_LIVE = 32;

/**
 * Native notifications (issue #8), whose failures are handled (issue #15
 * item 6): since Electron 42, macOS notifications use UNNotification, which
 * needs a code-signed app; an unsigned one emits `failed` instead of showing
 * (docs/breaking-changes.md, 42.0). Each distinct failure is logged once, with
 * what it means, and the agent carries on: the tray icon still shows the state.
 */
export class DesktopNotifier {
  readonly #factory: NotificationFactory;
  readonly #log: NotifierLog;
  readonly #platform: NodeJS.Platform;
  readonly #gate = new NoticeGate();
  readonly #failures = new Set<string>();
  readonly #live = new Set<NotificationLike>();
  #unsupportedLogged = false;

  constructor(factory: NotificationFactory, log: NotifierLog, platform: NodeJS.Platform) {
    this.#factory = factory;
    this.#log = log;
    this.#platform = platform;
  }

  /** Failures seen so far (distinct reasons), for diagnostics and tests. */
  get failures(): readonly string[] {
    return [...this.#failures];
  }

  notify(notice: DesktopNotice | undefined): void {
    const shown = this.#gate.admit(notice);
    if (shown === undefined) return;
    this.#log.info('notification', { title: shown.title });
    if (!this.#factory.isSupported()) {
      if (!this.#unsupportedLogged)
        this.#log.warn('notifications are not supported on this system: only the tray shows state');
      this.#unsupportedLogged = true;
      return;
    }
    let notification: NotificationLike;
    try {
      notification = this.#factory.create({ title: shown.title, body: shown.body });
    } catch (error) {
      this.#failed(String(error));
      return;
    }
    if (this.#live.size >= MAX_LIVE) this.#live.delete(this.#live.values().next().value!);
    this.#live.add(notification);
    notification.once('failed', (_event, error) => {
      this.#live.delete(notification);
      this.#failed(error);
    });
    notification.once('close', () => this.#live.delete(notification));
    notification.show();
  }

  #failed(error: string): void {
    if (this.#failures.has(error)) return;
    this.#failures.add(error);
    this.#log.warn('a notification could not be shown', {
      error,
      hint:
        this.#platform === 'darwin'
          ? 'macOS shows notifications only from a code-signed app (an unsigned or ad-hoc signed build cannot)'
          : 'check that notifications are allowed for Outpost in the system settings',
    });
  }
}
