import type { BuiltinKind } from '../../core/contract/builtin-kinds.ts';
import { BUILTIN_KINDS } from '../../core/contract/builtin-kinds.ts';
import type { CheckDefinitionInput, CheckTarget } from '../../core/contract/check-definitions.ts';
import type { BuiltinPreset, CheckRunOutcome } from '../../core/contract/checks.ts';
import type { ImportReport } from '../../core/contract/import-report.ts';
import type { CheckResult } from '../../core/contract/check-results.ts';
import { splitCommandLine } from '../../core/contract/command-line.ts';
import type { CommandArgs, CommandSpec } from '../command.ts';
import { flag, integerOption, listOption, stringOption, UsageError } from '../command.ts';
import { keyValues, table } from '../format.ts';
import { describePandoraAgent } from './pandora.ts';

/** Naming fields the CLI sets from a flag (the Pandora value module comes from imports and the UI). */
type TextNamingField = 'host' | 'service' | 'agentName' | 'moduleName' | 'valueId';

/** Flags that set a built-in option of the same meaning. */
const BUILTIN_FLAGS: Record<string, string> = {
  warn: 'warn',
  crit: 'crit',
  mount: 'mount',
  path: 'path',
  process: 'name',
  address: 'address',
  port: 'port',
};

function keyValue(text: string, flagName: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--${flagName} takes KEY=VALUE, got '${text}'`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

function formatResult(result: CheckResult): string {
  const lines = [
    keyValues([
      [
        'state',
        `${result.stateName} (${result.state})${result.exitCode === undefined ? '' : `, exit code ${result.exitCode}`}`,
      ],
      ['output', result.output],
      ['reason', result.reason],
      ['duration', `${(result.executionEnd - result.executionStart).toFixed(3)} s`],
    ]),
  ];
  if (result.longOutput !== '') lines.push('', 'Long output:', result.longOutput);
  if (result.perfdata.length > 0) {
    lines.push(
      '',
      table(
        ['LABEL', 'VALUE', 'UOM', 'WARN', 'CRIT', 'MIN', 'MAX'],
        result.perfdata.map((p) => [
          p.label,
          p.value === undefined ? 'U' : String(p.value),
          p.uom,
          p.warn ?? '',
          p.crit ?? '',
          p.min === undefined ? '' : String(p.min),
          p.max === undefined ? '' : String(p.max),
        ]),
      ),
    );
  }
  for (const e of result.perfdataErrors) lines.push(`perfdata ignored: ${e.text}: ${e.reason}`);
  return lines.join('\n');
}

function formatOutcome(outcome: CheckRunOutcome): string {
  const lines = [formatResult(outcome.result), ''];
  if (outcome.dryRun) lines.push('Dry run: not delivered.');
  for (const d of outcome.deliveries) {
    lines.push(
      d.error !== undefined
        ? `→ ${d.target}: NOT queued: ${d.error}`
        : d.historyId !== undefined
          ? `→ ${d.target} (${d.kind}): recorded in the node history (row ${d.historyId})`
          : `→ ${d.target} (${d.kind}): queued ${d.itemIds.length} item(s)`,
    );
  }
  return lines.join('\n');
}

function formatReport(report: ImportReport): string {
  const lines: string[] = [];
  const verb = report.dryRun ? 'would create' : 'created';
  if (report.target !== undefined) {
    lines.push(
      `Target ${report.target.name} (${report.target.kind}): ${report.target.created || report.dryRun ? verb : 'kept'}  ${JSON.stringify(report.target.config)}`,
    );
  }
  for (const s of report.secrets) lines.push(`Secret stored in the secret store: ${s}`);
  for (const c of report.certificates) lines.push(`Certificate: ${c}`);
  if (report.pandoraAgent !== undefined) {
    const a = report.pandoraAgent;
    lines.push(
      `Pandora agent ${a.name} (agent_name ${a.agentName}): ${a.created || report.dryRun ? verb : 'updated'}${a.remoteConfig ? ', managed by the Pandora server (remote_config 1)' : ''}`,
    );
  }
  for (const c of report.checks)
    lines.push(`Check ${c.name}: ${c.created ? 'created' : `not created (${c.reason ?? ''})`}`);
  if (report.unmapped.length > 0) {
    lines.push('', 'Not mapped:');
    for (const u of report.unmapped)
      lines.push(
        `  ${u.file}${u.line === undefined ? '' : `:${u.line}`}: ${u.text === undefined ? '' : `${u.text}: `}${u.reason}`,
      );
  }
  if (report.notes.length > 0) lines.push('', 'Notes:', ...report.notes.map((n) => `  ${n}`));
  return lines.join('\n');
}

/** The definition the flags of `check add` describe, against the agent's targets and built-in checks. */
function buildDefinition(
  args: CommandArgs,
  namingOf: Map<string, ReadonlyArray<keyof CheckTarget>>,
  presets: readonly BuiltinPreset[],
): CheckDefinitionInput {
  const name = args.positionals[0];
  if (name === undefined) throw new UsageError('NAME is required');
  const commandLine = stringOption(args, 'command');
  const builtin = stringOption(args, 'builtin');
  if ((commandLine === undefined) === (builtin === undefined))
    throw new UsageError('give either --command or --builtin');
  const targets = listOption(args, 'target');
  if (targets.length === 0)
    throw new UsageError('--target is required (repeat it to feed several targets)');
  const naming: Partial<Record<TextNamingField, string>> = {
    host: stringOption(args, 'host'),
    service: stringOption(args, 'service'),
    agentName: stringOption(args, 'agent-name'),
    moduleName: stringOption(args, 'module-name'),
    valueId: stringOption(args, 'value-id'),
  };
  for (const [field, value] of Object.entries(naming)) {
    if (value === undefined) continue;
    const applies = targets.some((t) => namingOf.get(t)?.includes(field as keyof CheckTarget));
    if (!applies)
      throw new UsageError(
        `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to none of the targets given`,
      );
  }
  const def: CheckDefinitionInput = {
    name,
    targets: targets.map((target) => {
      const t: CheckTarget = { target };
      for (const field of namingOf.get(target) ?? []) {
        const value = field === 'pandoraModule' || field === 'target' ? undefined : naming[field];
        if (value !== undefined) t[field as TextNamingField] = value;
      }
      return t;
    }),
  };
  const interval = integerOption(args, 'interval');
  const timeout = integerOption(args, 'timeout');
  if (interval !== undefined) def.interval = interval;
  if (timeout !== undefined) def.timeout = timeout;
  const cwd = stringOption(args, 'cwd');
  if (cwd !== undefined) def.cwd = cwd;
  const env = listOption(args, 'env');
  if (env.length > 0) def.env = Object.fromEntries(env.map((e) => keyValue(e, 'env')));
  if (commandLine !== undefined) {
    def.command = flag(args, 'shell')
      ? { argv: [commandLine], shell: true }
      : { argv: splitCommandLine(commandLine), shell: false };
  } else {
    if (!(BUILTIN_KINDS as readonly string[]).includes(builtin!))
      throw new UsageError(`--builtin must be one of ${BUILTIN_KINDS.join(', ')}`);
    def.builtin = {
      kind: builtin as BuiltinKind,
      options: builtinOptions(
        args,
        presets.find((p) => p.kind === builtin)!,
      ),
    };
  }
  return def;
}

/** The preset's defaults (as the UI fills its form with them), then the flags. */
function builtinOptions(args: CommandArgs, preset: BuiltinPreset): Record<string, string> {
  const options: Record<string, string> = Object.fromEntries(
    Object.entries(preset.defaults).map(([k, v]) => [k, String(v)]),
  );
  for (const [flagName, option] of Object.entries(BUILTIN_FLAGS)) {
    const value = stringOption(args, flagName);
    if (value !== undefined) options[option] = value;
  }
  for (const o of listOption(args, 'opt')) {
    const [k, v] = keyValue(o, 'opt');
    options[k] = v;
  }
  for (const required of preset.required) {
    if (options[required] === undefined)
      throw new UsageError(
        `--builtin ${preset.kind} needs its ${required}: --${Object.keys(BUILTIN_FLAGS).find((f) => BUILTIN_FLAGS[f] === required) ?? 'opt'} …, or --opt ${required}=…`,
      );
  }
  return options;
}

export const checkCommands: CommandSpec[] = [
  {
    path: ['check', 'add'],
    summary:
      'Define a local check (a monitoring plugin or a built-in) and the targets its results go to',
    usage:
      "NAME (--command 'PROG ARG…' | --builtin KIND [options]) [--interval 60] [--timeout 10] --target T [--target U…] [--host H] [--service S]",
    options: {
      command: { type: 'string' },
      shell: { type: 'boolean' },
      builtin: { type: 'string' },
      interval: { type: 'string' },
      timeout: { type: 'string' },
      target: { type: 'string', multiple: true },
      host: { type: 'string' },
      service: { type: 'string' },
      'agent-name': { type: 'string' },
      'module-name': { type: 'string' },
      'value-id': { type: 'string' },
      cwd: { type: 'string' },
      env: { type: 'string', multiple: true },
      warn: { type: 'string' },
      crit: { type: 'string' },
      mount: { type: 'string' },
      path: { type: 'string' },
      process: { type: 'string' },
      address: { type: 'string' },
      port: { type: 'string' },
      opt: { type: 'string', multiple: true },
    },
    details: [
      "--command 'PROG ARG…'  program and arguments, split like a shell would but run WITHOUT a shell",
      '--shell               run --command through the system shell instead (pipes, $VARS)',
      `--builtin KIND        ${BUILTIN_KINDS.join(', ')}; options: --warn --crit (monitoring-plugins ranges), --mount, --path, --process NAME, --address, --port, --opt KEY=VALUE`,
      '--interval / --timeout seconds (default 60 / 10); --cwd DIR; --env NAME=VALUE (repeatable)',
      'Naming per target kind: Icinga --host (default: our endpoint name) --service (default: NAME); Pandora --agent-name --module-name (default: NAME); OnSphere --value-id',
    ],
    async run(ctx, args) {
      const agent = await ctx.agent();
      const namingOf = new Map(
        (await agent.api.listTargets({})).map((t) => [t.name, t.checkNaming] as const),
      );
      const presets = await agent.api.listBuiltinPresets({});
      const def = await agent.api.addCheck(buildDefinition(args, namingOf, presets));
      const what =
        def.command !== undefined
          ? def.command.argv.join(' ')
          : `built-in ${def.builtin!.kind} ${JSON.stringify(def.builtin!.options)}`;
      return {
        data: def,
        human: `Added check ${def.name}: ${what}, every ${def.interval} s (timeout ${def.timeout} s) → ${def.targets.map((t) => t.target).join(', ')}`,
      };
    },
  },
  {
    path: ['check', 'list'],
    summary: 'Local checks with their last result per target',
    async run(ctx) {
      const agent = await ctx.agent();
      const checks = await agent.api.listChecks({});
      if (checks.length === 0)
        return { data: checks, human: 'No check is defined yet (outpost check add).' };
      // Checks from a Pandora agent's conf say so, with what last changed that conf
      // (listing the agents reads and hashes each conf: only when a check has one).
      const agents = checks.some((c) => c.definition.pandoraAgent !== undefined)
        ? await agent.api.listPandoraAgents({})
        : [];
      const remote = new Set(
        agents.filter((a) => a.definition.remoteConfig).map((a) => a.definition.name),
      );
      const human = table(
        ['NAME', 'EVERY', 'RUNS', 'LAST', 'OUTPUT', 'TARGETS'],
        checks.map((c) => [
          c.definition.name +
            (c.definition.enabled ? '' : ' (disabled)') +
            (c.definition.pandoraAgent !== undefined && remote.has(c.definition.pandoraAgent)
              ? ' (Pandora server)'
              : ''),
          `${c.definition.interval}s`,
          c.definition.command !== undefined
            ? c.definition.command.argv.join(' ').slice(0, 40)
            : `builtin:${c.definition.builtin!.kind}`,
          c.lastResult === undefined
            ? '-'
            : `${c.lastResult.stateName} ${new Date(c.lastResult.executionEnd * 1000).toISOString().slice(11, 19)}`,
          (c.lastResult?.output ?? '').slice(0, 50),
          c.targets
            .map(
              (t) =>
                `${t.target}:${t.error !== undefined ? 'error' : t.historyId !== undefined ? 'recorded' : (t.itemState ?? (t.itemIds.length > 0 ? 'queued' : '-'))}`,
            )
            .join(' '),
        ]),
      );
      const notes = agents.filter((a) => a.checks.length > 0);
      if (notes.length === 0) return { data: checks, human };
      return {
        data: checks,
        human: [human, '', ...notes.flatMap(describePandoraAgent)].join('\n'),
      };
    },
  },
  {
    path: ['check', 'remove'],
    summary: 'Delete a local check',
    usage: 'NAME',
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const result = await (await ctx.agent()).api.removeCheck({ name });
      return { data: result, human: `Removed check ${name}.` };
    },
  },
  {
    path: ['check', 'run'],
    summary: 'Run a check once now, print the parsed result and deliver it (unless --dry-run)',
    usage: 'NAME [--dry-run]',
    options: { 'dry-run': { type: 'boolean' } },
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const outcome = await (
        await ctx.agent()
      ).api.runCheckNow({ name, dryRun: flag(args, 'dry-run') });
      const failed = outcome.deliveries.some((d) => d.error !== undefined);
      return { data: outcome, human: formatOutcome(outcome), exitCode: failed ? 1 : 0 };
    },
  },
  {
    path: ['import', 'pandora'],
    summary:
      "Turn a Pandora FMS agent's pandora_agent.conf into a Tentacle target and checks, with a report of what could not be mapped",
    usage: 'FILE [--target NAME] [--agent NAME] [--dry-run] [--allow-plain-password]',
    options: {
      target: { type: 'string' },
      agent: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'allow-plain-password': { type: 'boolean' },
    },
    async run(ctx, args) {
      const path = args.positionals[0];
      if (path === undefined)
        throw new UsageError('FILE is required (the pandora_agent.conf to import)');
      const target = stringOption(args, 'target');
      const agentName = stringOption(args, 'agent');
      const report = await (
        await ctx.agent()
      ).api.importPandora({
        path,
        dryRun: flag(args, 'dry-run'),
        allowPlainPassword: flag(args, 'allow-plain-password'),
        ...(target === undefined ? {} : { target }),
        ...(agentName === undefined ? {} : { agent: agentName }),
      });
      return { data: report, human: formatReport(report) };
    },
  },
  {
    path: ['import', 'icinga'],
    summary:
      "Turn an Icinga agent's zones.conf, constants.conf and certificates into an Icinga target",
    usage: 'DIR [--certs DIR] [--target NAME] [--dry-run]',
    options: {
      certs: { type: 'string' },
      target: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    details: [
      'DIR is the agent configuration directory (/etc/icinga2); certificates default to DIR/certs, then /var/lib/icinga2/certs',
    ],
    async run(ctx, args) {
      const dir = args.positionals[0];
      if (dir === undefined)
        throw new UsageError('DIR is required (the Icinga configuration directory)');
      const target = stringOption(args, 'target');
      const certsDir = stringOption(args, 'certs');
      const report = await (
        await ctx.agent()
      ).api.importIcinga({
        dir,
        dryRun: flag(args, 'dry-run'),
        ...(target === undefined ? {} : { target }),
        ...(certsDir === undefined ? {} : { certsDir }),
      });
      return { data: report, human: formatReport(report) };
    },
  },
];
