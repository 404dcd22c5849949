import { describe, expect, it } from 'vitest';
import { nowSeconds, type EpochSeconds } from '../../main/core/clock.ts';
import type { RunCommandResult } from '../../main/core/exec/run-command.ts';
import type { CheckResultFields } from '../../main/core/protocols/icinga/codec.ts';

describe('EpochSeconds: Unix seconds that cannot be mixed with milliseconds', () => {
  it('nowSeconds is Date.now() in seconds', () => {
    const before = Date.now();
    const seconds = nowSeconds();
    const after = Date.now();
    expect(seconds * 1000).toBeGreaterThanOrEqual(before);
    expect(seconds * 1000).toBeLessThanOrEqual(after);
  });

  // The type errors below are the test: `npm run typecheck` fails once either line compiles.
  it('refuses a runCommand end divided again, and milliseconds, where seconds belong', () => {
    const run: Pick<RunCommandResult, 'endedAt'> = { endedAt: nowSeconds() };
    // @ts-expect-error runCommand's endedAt is already in seconds: /1000 makes a plain number
    const executionEnd: CheckResultFields['executionEnd'] = run.endedAt / 1000;
    // @ts-expect-error Date.now() counts milliseconds
    const executionStart: EpochSeconds = Date.now();
    expect(executionEnd).toBeLessThan(executionStart);
  });
});
