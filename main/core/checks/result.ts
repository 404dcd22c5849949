import { leftRunningNote, type RunCommandResult } from '../exec/run-command.ts';
import { formatPerfdataItem, parsePerfdata } from './perfdata.ts';
import { type PerfdataError, type PerfdataItem } from '../contract/check-results.ts';
import {
  STATE_NAMES,
  type CheckState,
  type StateName,
  type CheckResult,
} from '../contract/check-results.ts';

export const OK: CheckState = 0;
export const WARNING: CheckState = 1;
export const CRITICAL: CheckState = 2;
export const UNKNOWN: CheckState = 3;

export function stateName(state: CheckState): StateName {
  return STATE_NAMES[state];
}

/** Exit 0..3 → that state; anything else (or no exit code) → UNKNOWN. */
export function stateFromExitCode(code: number | undefined): CheckState {
  return code === 0 || code === 1 || code === 2 || code === 3 ? code : UNKNOWN;
}

export interface ParsedPluginOutput {
  output: string;
  longOutput: string;
  perfdata: PerfdataItem[];
  perfdataErrors: PerfdataError[];
}

/**
 * Splits plugin output (guidelines "Plugin Output"): `TEXT | PERFDATA` on the
 * first line, then long-output lines; the first later line with a `|` ends the
 * long output, and everything after that `|` (that line and all following
 * ones) is more perfdata.
 */
export function parsePluginOutput(text: string): ParsedPluginOutput {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const first = lines[0] ?? '';
  const bar = first.indexOf('|');
  const output = (bar === -1 ? first : first.slice(0, bar)).trim();
  const perfTexts: string[] = bar === -1 ? [] : [first.slice(bar + 1)];
  const long: string[] = [];
  let inPerf = false;
  for (const line of lines.slice(1)) {
    if (inPerf) {
      perfTexts.push(line);
      continue;
    }
    const at = line.indexOf('|');
    if (at === -1) {
      long.push(line);
    } else {
      long.push(line.slice(0, at));
      perfTexts.push(line.slice(at + 1));
      inPerf = true;
    }
  }
  while (long.length > 0 && long.at(-1)!.trim() === '') long.pop();
  const parsed = parsePerfdata(perfTexts.join(' '));
  return {
    output,
    longOutput: long.join('\n'),
    perfdata: parsed.items,
    perfdataErrors: parsed.errors,
  };
}

/** Turns a finished process into a result, explaining every UNKNOWN it had to make up. */
export function resultFromRun(
  check: string,
  run: RunCommandResult,
  scheduleStart: number,
  timeoutMs: number,
  program: string,
): CheckResult {
  // Like Icinga, fall back to stderr when the plugin printed nothing on stdout.
  const text = run.stdout.trim() === '' ? run.stderr : run.stdout;
  const parsed = parsePluginOutput(text);
  let state = stateFromExitCode(run.exitCode);
  let reason: string | undefined;
  let output = parsed.output;
  if (run.spawnError !== undefined) {
    state = UNKNOWN;
    reason = `could not start '${program}': ${run.spawnError}`;
  } else if (run.timedOut) {
    state = UNKNOWN;
    reason = `timed out after ${formatSeconds(timeoutMs / 1000)}: the process tree was killed${leftRunningNote(run)}`;
  } else if (run.exitCode === undefined) {
    state = UNKNOWN;
    reason = `killed by ${run.signal ?? 'a signal'}`;
  } else if (run.exitCode !== state) {
    reason = `exit code ${run.exitCode} is not a monitoring-plugins state (0..3)`;
  }
  if (reason !== undefined && output === '') output = `UNKNOWN - ${reason}`;
  if (run.truncated)
    reason =
      reason === undefined
        ? 'output truncated at the cap'
        : `${reason}; output truncated at the cap`;
  const result: CheckResult = {
    check,
    state,
    stateName: stateName(state),
    exitCode: run.exitCode,
    output,
    longOutput: parsed.longOutput,
    perfdata: parsed.perfdata,
    perfdataErrors: parsed.perfdataErrors,
    scheduleStart,
    executionStart: run.startedAt,
    executionEnd: run.endedAt,
    truncated: run.truncated,
  };
  if (reason !== undefined) result.reason = reason;
  return result;
}

function formatSeconds(s: number): string {
  return Number.isInteger(s) ? `${s} s` : `${s.toFixed(1)} s`;
}

/** The perfdata of a result as Icinga and the guidelines want it: one string per item. */
export function perfdataStrings(result: Pick<CheckResult, 'perfdata'>): string[] {
  return result.perfdata.map(formatPerfdataItem);
}

/** Output as a plugin would print it (first line, long output), perfdata left out. */
export function fullOutput(
  result: Pick<CheckResult, 'output' | 'longOutput' | 'reason' | 'state'>,
): string {
  const lines = [result.output];
  if (result.longOutput !== '') lines.push(result.longOutput);
  if (result.reason !== undefined && !result.output.includes(result.reason))
    lines.push(`(${result.reason})`);
  return lines.join('\n');
}

/** A name or perfdata label as one word of an id (OnSphere value ids, Gorgone tokens). */
export function resultIdWord(text: string): string {
  const word = text.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return word === '' ? 'value' : word;
}
