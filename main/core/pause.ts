/**
 * Waits `ms`, or less if `signal` aborts, and leaves no listener on `signal`
 * behind: a daemon loop that adds one per turn and never removes it grows
 * for as long as the agent runs (issue #17 "light at rest": the Tentacle
 * outbox loop added 86,400 a day).
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
