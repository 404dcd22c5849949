/**
 * Command-endpoint mode (spec icinga2.md §4.6): the master asks us to run a
 * check with `event::ExecuteCommand` and expects an `event::CheckResult` for
 * exactly that host/service. Off by default; when the user enabled it, only
 * CheckCommands mapped in the target config run, and only if the expanded
 * command line passes the allow-list (main/core/exec/policy.ts).
 */
import { nowSeconds, type EpochSeconds } from '../../clock.ts';
import { splitCommandLine } from '../../contract/command-line.ts';
import { authorizeCommand, patchCommandPolicy } from '../../exec/policy.ts';
import { type CommandPolicy } from '../../contract/command-policy.ts';
import type { AgentHandlers } from '../../contract/index.ts';
import { leftRunningNote, runCommand, type RunCommandResult } from '../../exec/run-command.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import { ownValue } from '../../own.ts';
import type { CheckResultFields, ExecuteCommandRequest } from './codec.ts';

export interface CommandEndpointConfig {
  policy: CommandPolicy;
  commands: Record<string, string>;
}

export type CommandEndpointPatch = Omit<
  Parameters<AgentHandlers['patchIcingaCommandPolicy']>[0],
  'name'
>;

/**
 * The command endpoint with `patch` applied (policy first, then the mapped
 * CheckCommands); a removal that names nothing mapped is refused, naming it.
 */
export function patchCommandEndpoint(
  current: CommandEndpointConfig,
  patch: CommandEndpointPatch,
): CommandEndpointConfig {
  const { commands: change, ...policyPatch } = patch;
  const policy = patchCommandPolicy(current.policy, policyPatch);
  const mapped = Object.keys(current.commands).join(', ') || 'none mapped';
  const removals = change?.remove ?? [];
  removals.forEach((name, i) => {
    if (!Object.hasOwn(current.commands, name))
      throw new AgentError(
        'invalid-request',
        `commands.remove.${i}: ${name}: no such mapped CheckCommand (${mapped})`,
        { field: `commands.remove.${i}` },
      );
  });
  const commands = { ...(change?.set ?? current.commands), ...change?.add };
  for (const name of removals) delete commands[name];
  return { policy, commands };
}

/** `$name$` → the macro's value, per argument after splitting, so a value can never add arguments. */
export function expandCommand(template: string, macros: Record<string, unknown>): string[] {
  return splitCommandLine(template).map((arg) =>
    arg.replace(/\$([A-Za-z0-9_.]+)\$/g, (whole, name: string) => {
      const value = ownValue(macros, name);
      if (value === undefined || value === null) return '';
      return typeof value === 'object'
        ? JSON.stringify(value)
        : String(value as string | number | boolean);
    }),
  );
}

/** For the allow-list and logs: each argument quoted when it needs to be. */
export function displayCommandLine(argv: string[]): string {
  return argv
    .map((a) => (a === '' || /[\s"'\\]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a))
    .join(' ');
}

/** Plugin output `TEXT | perfdata` (first line) and long output (further lines) per the monitoring-plugins API. */
export function parsePluginOutput(stdout: string): { output: string; performanceData: string[] } {
  const [first = '', ...rest] = stdout.replace(/\s+$/, '').split('\n');
  const bar = first.indexOf('|');
  const text = bar === -1 ? first : first.slice(0, bar).trimEnd();
  const perf = bar === -1 ? '' : first.slice(bar + 1).trim();
  const performanceData = perf === '' ? [] : (perf.match(/(?:'[^']*'|[^\s'])+=\S*/g) ?? []);
  return { output: [text, ...rest].join('\n'), performanceData };
}

/** Runs (or refuses) one ExecuteCommand and builds the check result to send back. */
export async function executeCommand(
  request: ExecuteCommandRequest,
  config: CommandEndpointConfig,
  cn: string,
  who: string,
): Promise<CheckResultFields> {
  const started = nowSeconds();
  const answer = (
    state: number,
    output: string,
    performanceData: string[] = [],
    ended: EpochSeconds = nowSeconds(),
  ): CheckResultFields => ({
    host: request.host,
    ...(request.service === undefined ? {} : { service: request.service }),
    state,
    exitStatus: state,
    output,
    performanceData,
    checkSource: cn,
    executionStart: started,
    executionEnd: ended,
    scheduleStart: started,
    scheduleEnd: ended,
    active: true,
  });
  // The texts a real agent answers with (§4.6), so the master's UI reads the same.
  if (!config.policy.enabled) return answer(3, `Endpoint '${cn}' does not accept commands.`);
  const template = ownValue(config.commands, request.command);
  if (template === undefined)
    return answer(3, `Check command '${request.command}' does not exist.`);
  let argv: string[];
  let limits: { timeoutMs: number; maxOutputBytes: number };
  try {
    argv = expandCommand(template, request.macros);
    limits = authorizeCommand(config.policy, displayCommandLine(argv), request.checkTimeout, who);
  } catch (error) {
    return answer(3, error instanceof AgentError ? error.message : String(error));
  }
  let result: RunCommandResult;
  try {
    result = await runCommand({
      argv,
      timeoutMs: limits.timeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
    });
  } catch (error) {
    // A template whose program is a macro the master left empty names no program.
    return answer(3, `cannot run '${displayCommandLine(argv)}': ${toAgentError(error).message}`);
  }
  const ended = result.endedAt;
  if (result.spawnError !== undefined)
    return answer(3, `cannot run ${argv[0] ?? ''}: ${result.spawnError}`, [], ended);
  if (result.timedOut)
    return answer(
      3,
      `Plugin timed out after ${Math.round(limits.timeoutMs / 1000)} s: ${displayCommandLine(argv)}${leftRunningNote(result)}`,
      [],
      ended,
    );
  const parsed = parsePluginOutput(result.stdout === '' ? result.stderr : result.stdout);
  const code = result.exitCode ?? 3;
  return answer(code >= 0 && code <= 3 ? code : 3, parsed.output, parsed.performanceData, ended);
}
