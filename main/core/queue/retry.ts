/**
 * Capped exponential backoff with full jitter: the delay before attempt n+1 is
 * uniform in [0, min(cap, base·2^n)], so many agents retrying after the same
 * outage spread out instead of hammering the server in waves.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000 };

export function backoffDelayMs(
  attempts: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
