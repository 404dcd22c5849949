import { toAgentError } from './contract/errors.ts';
import type { Logger } from './log.ts';

/** Enough of a stack to find the call site, not a page of node internals. */
const STACK_LINES = 8;

function details(error: unknown): Record<string, unknown> {
  const stack = error instanceof Error ? error.stack : undefined;
  return {
    error: toAgentError(error).message,
    ...(stack === undefined ? {} : { stack: stack.split('\n').slice(0, STACK_LINES).join('\n') }),
  };
}

/**
 * The last line of defence of the long-running processes (`outpost run`,
 * `outpost ui`, the tray app). Node 24 ends the process on a rejection nobody
 * handled; every fire-and-forget call site catches its own (background.ts),
 * and one that still slips through is logged while the agent keeps serving.
 * A thrown exception still ends the process (its state may be broken), but is
 * logged first. Returns the uninstaller.
 */
export function installProcessGuards(log: Pick<Logger, 'error'>): () => void {
  const onRejection = (reason: unknown): void =>
    log.error('unhandled promise rejection: logged, the agent keeps running', details(reason));
  const onException = (error: unknown, origin: string): void => {
    // With our 'unhandledRejection' listener, rejections never come here.
    log.error('uncaught exception: the process ends', { origin, ...details(error) });
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtExceptionMonitor', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtExceptionMonitor', onException);
  };
}
