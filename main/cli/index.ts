import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Agent } from '../core/agent.ts';
import { AgentError, toAgentError } from '../core/contract/errors.ts';
import { ownValue } from '../core/own.ts';
import { resolveDataDir } from '../core/paths.ts';
import { tuneForLongRunning } from '../core/runtime-tuning.ts';
import { AGENT_VERSION } from '../core/version.ts';
import { UsageError, type CliContext, type CommandSpec } from './command.ts';
import { COMMAND_GROUPS } from './commands/index.ts';
import { COMMAND_MANIFEST, type CommandInfo } from './commands/manifest.ts';
import { ProgressWriter } from './progress.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * parseArgs refuses `--opt VALUE` when VALUE starts with '-' ("ambiguous"),
 * but thumbprints (base64url), passwords and names may: a JWK thumbprint
 * starts with '-' once in 64 keys. A value that is not itself one of the
 * command's options is attached as `--opt=VALUE` (`-x VALUE` as `-xVALUE`).
 * A positional that starts with a single '-' and is not a cluster of the
 * command's short flags (`authorized add -Xy…`) would read as unknown short
 * options: then every positional moves, in order, after a '--'.
 */
export function attachDashValues(
  args: readonly string[],
  options: ParseArgsOptionsConfig,
): string[] {
  const shorts = new Map(
    Object.entries(options).flatMap(([name, o]) =>
      o.short === undefined ? [] : [[o.short, name] as const],
    ),
  );
  const isOption = (token: string): boolean =>
    token === '--' ||
    (token.startsWith('--') && Object.hasOwn(options, token.slice(2).split('=')[0]!)) ||
    (/^-[^-]$/.test(token) && shorts.has(token[1]!));
  // A single-dash word parseArgs could read: known boolean short flags, or a known short then its value.
  const isShortCluster = (token: string): boolean =>
    ownValue(options, shorts.get(token[1]!) ?? '')?.type === 'string' ||
    [...token.slice(1)].every((c) => ownValue(options, shorts.get(c) ?? '')?.type === 'boolean');
  // Options (with their values) and positionals, each in order; `inOrder` is both as given.
  const opts: string[] = [];
  const positionals: string[] = [];
  const inOrder: string[] = [];
  const option = (...tokens: string[]): void => {
    opts.push(...tokens);
    inOrder.push(...tokens);
  };
  const positional = (...tokens: string[]): void => {
    positionals.push(...tokens);
    inOrder.push(...tokens);
  };
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    const next = args[i + 1];
    if (token === '--') {
      positional(...args.slice(i + 1));
      break;
    }
    const name = token.startsWith('--')
      ? token.slice(2)
      : /^-[^-]$/.test(token)
        ? shorts.get(token[1]!)
        : undefined;
    if (name !== undefined && ownValue(options, name)?.type === 'string' && next !== undefined) {
      if (!next.startsWith('-') || next === '-') {
        option(token, next);
        i++;
        continue;
      }
      if (!isOption(next)) {
        option(token.startsWith('--') ? `${token}=${next}` : `${token}${next}`);
        i++;
        continue;
      }
    }
    if (token === '-' || !token.startsWith('-')) positional(token);
    else if (/^-[^-][\s\S]/.test(token) && !isShortCluster(token)) positional(token);
    else option(token);
  }
  return positionals.some((p) => p.startsWith('-') && p !== '-')
    ? [...opts, '--', ...positionals]
    : inOrder;
}

const GLOBAL_OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

interface Streams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTty: boolean;
}

const processStreams: Streams = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
};

/** Longest command path that prefixes the words given. */
function findCommand(words: string[]): CommandInfo | undefined {
  let best: CommandInfo | undefined;
  for (const command of COMMAND_MANIFEST) {
    const matches = command.path.every((part, i) => words[i] === part);
    if (matches && (best === undefined || command.path.length > best.path.length)) best = command;
  }
  return best;
}

function optionHelp(command: CommandInfo): string[] {
  return Object.entries(command.options ?? {}).map(([name, o]) => {
    const short = o.short === undefined ? '    ' : `-${o.short}, `;
    const value = o.type === 'string' ? ` ${name.toUpperCase().replace(/-/g, '_')}` : '';
    return `  ${short}--${name}${value}${o.multiple === true ? ' (repeatable)' : ''}`;
  });
}

/** The command's code: its group is loaded only now (issue #17 "a command loads only what it uses"). */
async function loadCommand(info: CommandInfo): Promise<CommandSpec> {
  const specs = await COMMAND_GROUPS[info.group]();
  const spec = specs.find((s) => s.path.join(' ') === info.path.join(' '));
  if (spec === undefined)
    throw new Error(`outpost ${info.path.join(' ')} is not in its group '${info.group}' any more`);
  return spec;
}

export function helpText(words: string[] = []): string {
  const command = findCommand(words);
  if (command !== undefined && command.path.length === words.length) {
    return [
      `Usage: outpost ${command.path.join(' ')}${command.usage === undefined ? '' : ` ${command.usage}`} [--json] [--data-dir DIR]`,
      '',
      command.summary,
      ...(command.details === undefined ? [] : ['', ...command.details]),
      ...(command.options === undefined ? [] : ['', 'Options:', ...optionHelp(command)]),
      '',
    ].join('\n');
  }
  const scoped = COMMAND_MANIFEST.filter((c) => words.every((w, i) => c.path[i] === w));
  const list = (scoped.length > 0 ? scoped : COMMAND_MANIFEST)
    .map(
      (c) =>
        `  outpost ${c.path.join(' ')}${c.usage === undefined ? '' : ` ${c.usage}`}\n      ${c.summary}`,
    )
    .join('\n');
  return [
    'Outpost: the monitoring agent (Centreon Gorgone, Pandora FMS Tentacle, Icinga 2, OnSphere).',
    '',
    'Usage: outpost COMMAND [options]',
    '',
    'Global options:',
    '  --data-dir DIR   state directory (default: $OUTPOST_HOME, else the OS default shared with the desktop app)',
    '  --json           machine-readable output on stdout',
    '  -h, --help       help for a command: outpost COMMAND --help',
    '  -V, --version    print the version',
    '',
    'Commands:',
    list,
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}

export async function main(argv: string[], streams: Streams = processStreams): Promise<number> {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  const wantsJson = argv.includes('--json');
  const fail = (
    code: number,
    error: { message: string; code?: string; field?: string | undefined },
  ): number => {
    if (wantsJson) {
      streams.stderr(
        `${JSON.stringify({ error: { code: error.code ?? 'usage', message: error.message, field: error.field } })}\n`,
      );
    } else {
      streams.stderr(`outpost: ${error.message}\n`);
      if (code === EXIT_USAGE)
        streams.stderr(`Try 'outpost ${words.slice(0, 2).join(' ')} --help'.\n`.replace('  ', ' '));
    }
    return code;
  };

  const command = findCommand(words);
  let parsed;
  try {
    const options = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) };
    parsed = parseArgs({
      args: attachDashValues(argv.slice(command?.path.length ?? 0), options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return fail(EXIT_USAGE, {
      message: (error as Error).message.split('\n')[0] ?? 'bad arguments',
    });
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.version === true) {
    streams.stdout(
      wantsJson ? `${JSON.stringify({ version: AGENT_VERSION })}\n` : `outpost ${AGENT_VERSION}\n`,
    );
    return EXIT_OK;
  }
  if (values.help === true || words.length === 0) {
    streams.stdout(helpText(words));
    return words.length === 0 && values.help !== true ? EXIT_USAGE : EXIT_OK;
  }
  if (command === undefined) {
    return fail(EXIT_USAGE, { message: `unknown command '${words.join(' ')}'` });
  }

  const dataDir = resolveDataDir(values['data-dir'] as string | undefined);
  let agent: Promise<Agent> | undefined;
  const abort = new AbortController();
  const progress = new ProgressWriter(streams.stderr, streams.stderrIsTty);
  const ctx: CliContext = {
    dataDir,
    json: wantsJson,
    signal: abort.signal,
    // Loaded on first use: most of the agent's code is never needed by `--help` (issue #17).
    agent: () =>
      (agent ??= import('../core/agent.ts').then(({ Agent }) => Agent.open({ dataDir }))),
    progress: (line) => progress.line(line),
    prompt: (text) => progress.prompt(text),
    status: (text) => progress.status(text),
  };
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (command.daemon === true) tuneForLongRunning();
  try {
    const output = await (
      await loadCommand(command)
    ).run(ctx, { options: values, positionals: parsed.positionals });
    progress.end();
    if (wantsJson) streams.stdout(`${JSON.stringify(output.data, null, 2)}\n`);
    else if (output.human !== undefined)
      streams.stdout(output.human.endsWith('\n') ? output.human : `${output.human}\n`);
    return output.exitCode ?? EXIT_OK;
  } catch (error) {
    progress.end();
    if (error instanceof UsageError) return fail(EXIT_USAGE, { message: error.message });
    const agentError = toAgentError(error);
    const code =
      agentError instanceof AgentError && agentError.code === 'invalid-request'
        ? EXIT_USAGE
        : EXIT_FAILURE;
    return fail(code, {
      message: agentError.message,
      code: agentError.code,
      field: agentError.field,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (agent !== undefined) await (await agent).close();
  }
}
