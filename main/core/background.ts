import { toAgentError } from './contract/errors.ts';
import type { Logger } from './log.ts';

/**
 * Starts work nobody awaits: a timer, an event handler, a message from a
 * peer. Node 24 ends the process on a rejection nobody handled, so whatever
 * the work throws, at once or later, is logged here and goes no further.
 */
export function inBackground(
  log: Pick<Logger, 'error'>,
  what: string,
  work: () => Promise<unknown>,
): void {
  const failed = (error: unknown): void =>
    log.error(`${what} failed`, { error: toAgentError(error).message });
  try {
    work().catch(failed);
  } catch (error) {
    failed(error);
  }
}
