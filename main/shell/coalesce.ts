/**
 * Many requests, one run (issue #15 item 8): every queue item and target
 * event asks the tray to refresh; within `waitMs` they become one refresh, and
 * a request that arrives while one runs causes exactly one more afterwards.
 */
export interface Coalesced {
  request(): void;
  stop(): void;
}

export function coalesce(
  task: () => Promise<void>,
  waitMs: number,
  onError: (error: unknown) => void,
): Coalesced {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let stopped = false;
  const start = (): void => {
    timer = undefined;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again && !stopped) {
          again = false;
          schedule();
        }
      });
  };
  const schedule = (): void => {
    if (timer === undefined) timer = setTimeout(start, waitMs);
  };
  return {
    request() {
      if (stopped) return;
      if (running) again = true;
      else schedule();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
