/**
 * One way out of the app (issue #15 item 11), whatever asks for it: the tray's
 * Quit (`before-quit`), Windows ending the session (`session-end` on a window:
 * `before-quit` is not emitted on shutdown, restart or logoff, docs/api/app.md),
 * Linux and macOS shutting down (`powerMonitor` `shutdown`), or an update being
 * installed. The steps run once, in order; a failing step is reported and the
 * next still runs, so the agent's stores are closed whenever possible.
 */
export type ShutdownReason = 'quit' | 'session-end' | 'system-shutdown' | 'update';

export interface ShutdownStep {
  name: string;
  run(): void | Promise<void>;
}

export class Shutdown {
  readonly #steps: readonly ShutdownStep[];
  readonly #onStepFailed: (step: string, error: unknown) => void;
  #running: Promise<void> | undefined;
  #reason: ShutdownReason | undefined;
  #done = false;

  constructor(
    steps: readonly ShutdownStep[],
    onStepFailed: (step: string, error: unknown) => void,
  ) {
    this.#steps = steps;
    this.#onStepFailed = onStepFailed;
  }

  /** Why it started, once it has. */
  get reason(): ShutdownReason | undefined {
    return this.#reason;
  }

  get started(): boolean {
    return this.#running !== undefined;
  }

  /** All steps have run: a quit may now proceed. */
  get done(): boolean {
    return this.#done;
  }

  run(reason: ShutdownReason): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    this.#reason = reason;
    this.#running = (async () => {
      for (const step of this.#steps) {
        try {
          await step.run();
        } catch (error) {
          this.#onStepFailed(step.name, error);
        }
      }
      this.#done = true;
    })();
    return this.#running;
  }
}

/**
 * When a downloaded update may be installed (issue #15 item 11): a tray app
 * seldom quits normally, and Windows skips the quit events at shutdown, so
 * electron-updater's install-on-quit alone would never run. It is installed
 * (the app restarts into it) as soon as nobody is looking at the window and
 * nothing is being sent.
 */
export function shouldInstallUpdate(input: {
  downloaded: boolean;
  windowVisible: boolean;
  sending: number;
}): boolean {
  return input.downloaded && !input.windowVisible && input.sending === 0;
}
