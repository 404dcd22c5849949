import { vi } from 'vitest';

export interface PollOptions {
  /** Give up after this long (default 20 s). */
  timeout?: number;
  /** Time between two checks (default 50 ms). */
  interval?: number;
  /** What is awaited, for the error. */
  what?: string;
  /** Said with the error: the output or state that explains why it never came. */
  context?: () => string;
}

/**
 * The one polling helper of the tests (vitest's `vi.waitFor`): runs `check`
 * until it returns something other than `undefined` or `false`, and resolves
 * with that. A check that throws is tried again; the last error is in the
 * timeout's message.
 */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: PollOptions = {},
): Promise<T> {
  const what = options.what ?? 'condition';
  try {
    return await vi.waitFor(
      async () => {
        const value = await check();
        if (value === undefined || value === false) throw new Error(`${what} not reached yet`);
        return value;
      },
      { timeout: options.timeout ?? 20_000, interval: options.interval ?? 50 },
    );
  } catch (error) {
    const context = options.context?.() ?? '';
    throw new Error(
      `timed out waiting for ${what}: ${(error as Error).message}${context === '' ? '' : `\n${context}`}`,
      { cause: error },
    );
  }
}
