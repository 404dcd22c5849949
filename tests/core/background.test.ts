import { describe, expect, it } from 'vitest';
import { inBackground } from '../../main/core/background.ts';

describe('inBackground', () => {
  it('logs what the work throws, at once or later, and lets nothing escape', async () => {
    const logged: Array<[string, unknown]> = [];
    const log = { error: (message: string, fields?: unknown) => logged.push([message, fields]) };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): number => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      inBackground(log, 'sync work', () => {
        throw new Error('thrown before any await');
      });
      inBackground(log, 'async work', async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        throw new Error('rejected later');
      });
      inBackground(log, 'fine work', async () => 'done');
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(logged).toEqual([
      ['sync work failed', { error: 'thrown before any await' }],
      ['async work failed', { error: 'rejected later' }],
    ]);
    expect(unhandled).toEqual([]);
  });
});
