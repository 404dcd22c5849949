import { toAgentError } from '../contract/errors.ts';
import { runCommand } from '../exec/run-command.ts';
import { runBuiltin } from './builtin.ts';
import type { CheckDefinition } from '../contract/check-definitions.ts';
import { resultFromRun, stateName, UNKNOWN } from './result.ts';
import { type CheckResult } from '../contract/check-results.ts';

export type RunnableDefinition = Pick<
  CheckDefinition,
  'name' | 'command' | 'builtin' | 'timeout' | 'cwd' | 'env' | 'maxOutputBytes'
>;

/**
 * Runs a check once and parses what it said. Never throws: every failure
 * (missing program, timeout, bad options) is an UNKNOWN result with the reason.
 */
export async function runCheck(
  def: RunnableDefinition,
  options: { scheduleStart?: number; signal?: AbortSignal } = {},
): Promise<CheckResult> {
  const scheduleStart = options.scheduleStart ?? Date.now() / 1000;
  const timeoutMs = def.timeout * 1000;
  if (def.command !== undefined) {
    const argv = def.command.argv;
    const run = await runCommand({
      argv,
      shell: def.command.shell,
      ...(def.cwd === undefined ? {} : { cwd: def.cwd }),
      ...(def.env === undefined ? {} : { env: def.env }),
      timeoutMs,
      maxOutputBytes: def.maxOutputBytes,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return resultFromRun(def.name, run, scheduleStart, timeoutMs, argv[0]!);
  }
  return runBuiltinCheck(def, scheduleStart, timeoutMs, options.signal);
}

async function runBuiltinCheck(
  def: RunnableDefinition,
  scheduleStart: number,
  timeoutMs: number,
  outer: AbortSignal | undefined,
): Promise<CheckResult> {
  const builtin = def.builtin!;
  const executionStart = Date.now() / 1000;
  const controller = new AbortController();
  const onOuter = (): void => controller.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  const base = {
    check: def.name,
    exitCode: undefined,
    longOutput: '',
    perfdataErrors: [],
    scheduleStart,
    executionStart,
    truncated: false,
  };
  try {
    const outcome = await Promise.race([
      runBuiltin(builtin.kind, builtin.options, controller.signal),
      timedOut,
    ]);
    if (outcome === 'timeout') {
      const reason = `timed out after ${def.timeout} s`;
      return {
        ...base,
        state: UNKNOWN,
        stateName: 'UNKNOWN',
        output: `UNKNOWN - ${reason}`,
        perfdata: [],
        executionEnd: Date.now() / 1000,
        reason,
      };
    }
    return {
      ...base,
      state: outcome.state,
      stateName: stateName(outcome.state),
      output: outcome.output,
      longOutput: outcome.longOutput ?? '',
      perfdata: outcome.perfdata,
      executionEnd: Date.now() / 1000,
    };
  } catch (error) {
    const reason = toAgentError(error).message;
    return {
      ...base,
      state: UNKNOWN,
      stateName: 'UNKNOWN',
      output: `UNKNOWN - ${reason}`,
      perfdata: [],
      executionEnd: Date.now() / 1000,
      reason,
    };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}
