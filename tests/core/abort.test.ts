import { describe, expect, it } from 'vitest';
import { pause, untilAborted } from '../../main/core/abort.ts';

describe('daemon waits', () => {
  it('pause ends at its time or at once on abort, and leaves no listener behind', async () => {
    const run = new AbortController();
    let added = 0;
    let removed = 0;
    const add = run.signal.addEventListener.bind(run.signal);
    const remove = run.signal.removeEventListener.bind(run.signal);
    run.signal.addEventListener = ((...a: Parameters<typeof add>) => (
      added++,
      add(...a)
    )) as typeof add;
    run.signal.removeEventListener = ((...a: Parameters<typeof remove>) => (
      removed++,
      remove(...a)
    )) as typeof remove;
    for (let i = 0; i < 50; i++) await pause(1, run.signal);
    expect(added).toBe(50);
    expect(removed).toBe(50);

    const long = pause(60_000, run.signal);
    run.abort();
    // A pause that ignored the abort would outlive the test's 5 s limit.
    await long;
    await pause(60_000, run.signal);
  });

  it('untilAborted resolves on abort, and at once for a signal already aborted', async () => {
    const run = new AbortController();
    let done = false;
    const waiting = untilAborted(run.signal).then(() => (done = true));
    await pause(5, new AbortController().signal);
    expect(done).toBe(false);
    run.abort();
    await waiting;
    expect(done).toBe(true);
    await untilAborted(run.signal);
  });
});
