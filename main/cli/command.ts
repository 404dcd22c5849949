import type { ParseArgsOptionsConfig } from 'node:util';
import type { Agent } from '../core/agent.ts';
import { AgentError } from '../core/contract/errors.ts';

export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface CommandArgs {
  options: OptionValues;
  positionals: string[];
}

/** What a command hands back: data for `--json`, text for a person. */
export interface CommandOutput {
  data: unknown;
  human?: string;
  /** Non-zero when the command ran but did not achieve its goal (e.g. not every file acknowledged). */
  exitCode?: number;
}

export interface CliContext {
  readonly dataDir: string;
  readonly json: boolean;
  /** Opens the agent on first use (commands like `--help` never touch the data dir). */
  agent(): Promise<Agent>;
  /** One step on stderr (a newline is added if missing), so stdout stays parseable. */
  progress(line: string): void;
  /** A question on stderr, answered on the same line. */
  prompt(text: string): void;
  /** A live status (progress bar) on stderr, redrawn in place; shown on a terminal only. */
  status(text: string): void;
  readonly signal: AbortSignal;
}

export interface CommandSpec {
  /** Words that select it: ['identity', 'show']. */
  path: string[];
  summary: string;
  /** Shown after the path in help: e.g. 'FILE... -a HOST [-p PORT]'. */
  usage?: string;
  options?: ParseArgsOptionsConfig;
  /** Extra help lines (flag descriptions). */
  details?: string[];
  /** Long-running commands (run, ui) keep logs on file. */
  daemon?: boolean;
  run(ctx: CliContext, args: CommandArgs): Promise<CommandOutput>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The core's refusal of a request field, said with the flag that set it
 * (`allow.remove.0: '^x$' is not …` → `--disallow '^x$' is not …`) and
 * reported as a usage error, like the flags checked before the agent opened.
 * `flags` maps a field (or the prefix of a dotted field) to its flag.
 */
export function withFlagNames(error: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof AgentError) || error.code !== 'invalid-request') return error;
  const field = error.field ?? '';
  const prefix = `${field}: `;
  const flagName = Object.entries(flags).find(
    ([name]) => field === name || field.startsWith(`${name}.`),
  )?.[1];
  if (flagName === undefined || !error.message.startsWith(prefix)) return error;
  return new UsageError(`${flagName} ${error.message.slice(prefix.length)}`);
}

export function stringOption(args: CommandArgs, name: string): string | undefined {
  const value = args.options[name];
  if (Array.isArray(value)) return value.at(-1) as string | undefined;
  return typeof value === 'string' ? value : undefined;
}

export function requiredOption(args: CommandArgs, name: string, flag = `--${name}`): string {
  const value = stringOption(args, name);
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

export function listOption(args: CommandArgs, name: string): string[] {
  const value = args.options[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

export function flag(args: CommandArgs, name: string): boolean {
  return args.options[name] === true;
}

export function integerOption(
  args: CommandArgs,
  name: string,
  fallback?: number,
): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got '${raw}'`);
  return Number(raw);
}
