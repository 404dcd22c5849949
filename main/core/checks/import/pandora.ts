import { readFile } from 'node:fs/promises';
import type { AgentContext } from '../../context.ts';
import { AgentError } from '../../contract/errors.ts';
import { ownValue } from '../../own.ts';
import { assertTargetName } from '../../targets/registry.ts';
import {
  CHECK_NAME_PATTERN,
  checkDefinitionSchema,
  PANDORA_VALUE_TYPES,
  type CheckDefinition,
} from '../../contract/check-definitions.ts';
import type { ChecksService } from '../service.ts';
import { tentacleSecretName } from '../../protocols/tentacle/config.ts';
import {
  parsePandoraConf,
  type PandoraConf,
  type PandoraConfMapping,
  type PandoraModuleBlock,
} from './pandora-conf.ts';
import { emptyReport } from './report.ts';
import {
  connectionFromClientFlags,
  SECONDARY_KEYS,
  secondaryFromConf,
  serverKeys,
} from './pandora-secondary.ts';
import { type ImportReport } from '../../contract/import-report.ts';
import { defaultAgentName } from '../delivery.ts';
import { applyPandoraConf, type ConfApplication } from '../../protocols/pandora/apply-conf.ts';
import { confKey } from '../../protocols/pandora/conf-key.ts';
import { findPandoraAgent, remotelyManaged } from '../managed.ts';

/** pandora_agent.conf default `interval` (seconds). */
const DEFAULT_AGENT_INTERVAL = 300;

/** Keys understood and deliberately not carried over (Outpost does this its own way). */
const NOT_NEEDED: Record<string, string> = {
  temporal: 'Outpost spools in its own queue',
  logfile: 'Outpost keeps its own log',
  debug: 'Outpost keeps its own log',
  server_path: 'the Tentacle server decides where files land',
  xml_buffer: 'the Outpost queue always keeps undelivered results',
  encoding: 'Outpost always writes UTF-8',
  description: 'not sent by Outpost',
  group: 'not sent by Outpost: the server uses its fallback group',
  address: 'not sent by Outpost',
  file_collection: 'file collections are not supported for now',
  autotime: 'Outpost always sends the timestamp',
  udp_server: 'the UDP command server is not supported',
  udp_server_port: 'the UDP command server is not supported',
  udp_server_auth_address: 'the UDP command server is not supported',
  cron_mode: 'Outpost runs its own scheduler',
  intensive_interval: 'Outpost checks run at their own interval',
  pandora_user: 'Outpost runs as the desktop user',
  agent_threads: 'Outpost limits concurrent checks itself (checks.maxConcurrent)',
};

/** Module keys mapped to a built-in check instead of a command. */
const BUILTIN_MODULE_KEYS = [
  'module_proc',
  'module_freedisk_percentage',
  'module_cpuusage',
  'module_freepercentmemory',
] as const;

export interface PandoraImportRequest {
  path?: string | undefined;
  content?: string | undefined;
  target?: string | undefined;
  /** The Pandora agent definition's name (default: the target's). */
  agent?: string | undefined;
  dryRun: boolean;
  allowPlainPassword?: boolean | undefined;
}

export interface MappingOptions {
  file: string;
  targetName: string;
  dryRun: boolean;
  allowPlainPassword?: boolean | undefined;
}

/** `pandora_agent.conf` → one Tentacle target and one check per module block, with a report. */
export async function importPandoraAgent(
  ctx: AgentContext,
  service: ChecksService,
  request: PandoraImportRequest,
): Promise<ImportReport> {
  const file = request.path ?? 'pandora_agent.conf';
  // The agent keeps the conf's bytes as they are: remote configuration hashes them (§10.1).
  let bytes = request.content === undefined ? undefined : Buffer.from(request.content, 'utf8');
  if (bytes === undefined) {
    try {
      bytes = await readFile(request.path!);
    } catch (error) {
      throw new AgentError(
        'not-found',
        `cannot read ${request.path}: ${(error as Error).message}`,
        { field: 'path' },
      );
    }
  }
  const text = bytes.toString('utf8');
  const targetName = request.target ?? 'pandora';
  assertTargetName(targetName, 'target');
  const agentDefinition = request.agent ?? targetName;
  assertTargetName(agentDefinition, 'agent');
  const previous = findPandoraAgent(ctx.settings, agentDefinition);
  if (previous?.remoteConfig === true) throw remotelyManaged(previous);
  const mapping = mapPandoraConf(text, {
    file,
    targetName,
    dryRun: request.dryRun,
    allowPlainPassword: request.allowPlainPassword,
  });
  const { report, config, secrets } = mapping;

  const existing = ctx.targets.find(targetName);
  report.target = { name: targetName, kind: 'tentacle', config, created: false };
  if (existing !== undefined && existing.kind !== 'tentacle') {
    throw new AgentError(
      'conflict',
      `target '${targetName}' is already a ${existing.kind} target: pass another --target name`,
      { field: 'target' },
    );
  }
  report.secrets = secrets.map(([name]) => name);
  const agent = agentFromMapping(ctx, agentDefinition, targetName, mapping);
  const { agentName } = agent;
  if (previous !== undefined && previous.agentName !== agentName && request.agent === undefined) {
    // A re-import replaces the definition's modules: another agent's conf must not do that by default.
    throw new AgentError(
      'conflict',
      `Pandora agent '${agentDefinition}' already holds agent_name '${previous.agentName}', not '${agentName}': pass --agent NAME to define this one beside it, or --agent ${agentDefinition} to replace it`,
      { field: 'agent' },
    );
  }
  report.pandoraAgent = {
    name: agentDefinition,
    agentName,
    remoteConfig: mapping.remoteConfig,
    created: false,
  };
  if (mapping.remoteConfig) {
    report.notes.push(
      `remote_config 1: from now on the Pandora server's copy of this configuration wins (files conf/${confKey(agentName)}.conf and md5/${confKey(agentName)}.md5 of its data_in); Outpost checks it every ${mapping.agentInterval} s and applies changes live. Edit the modules in the Pandora console, not here.`,
    );
  }
  if (request.dryRun) {
    for (const def of mapping.checks)
      report.checks.push({ name: def.name, created: false, reason: 'dry run' });
    return report;
  }
  if (existing === undefined) {
    try {
      ctx.targets.save(targetName, 'tentacle', config);
    } catch (error) {
      throw new AgentError(
        'invalid-request',
        `the Tentacle target from ${file} is not valid: ${(error as Error).message}`,
        { field: 'path' },
      );
    }
    report.target.created = true;
    // The checks below are checked against Tentacle's driver, whose module may load only now.
    await ctx.targets.loaded('tentacle');
  } else {
    report.notes.push(`target '${targetName}' already exists: kept as it is`);
  }
  for (const [name, value] of secrets) await ctx.secrets.set(name, value);

  const applied = await applyPandoraConf(ctx, service, {
    agent,
    bytes,
    mapping,
    by: 'import',
  });
  report.pandoraAgent.created = previous === undefined;
  const made = new Set([...applied.changes.added, ...applied.changes.replaced]);
  for (const def of mapping.checks) {
    const rejected = applied.rejected.find((r) => r.name === def.name);
    if (rejected !== undefined)
      report.checks.push({ name: def.name, created: false, reason: rejected.reason });
    else if (made.has(def.name)) report.checks.push({ name: def.name, created: true });
    else report.checks.push({ name: def.name, created: false, reason: 'unchanged' });
  }
  if (applied.changes.removed.length > 0)
    report.notes.push(
      `checks of agent '${agentDefinition}' no longer in ${file}, removed: ${applied.changes.removed.join(', ')}`,
    );
  return report;
}

/** The agent definition a mapped conf describes, for `target`; agent_name defaults to this agent's name. */
export function agentFromMapping(
  ctx: AgentContext,
  name: string,
  target: string,
  mapping: PandoraConfMapping,
): ConfApplication['agent'] {
  return {
    name,
    target,
    agentName: mapping.agentName ?? defaultAgentName(ctx),
    remoteConfig: mapping.remoteConfig,
    standby: mapping.standby,
    interval: mapping.agentInterval,
  };
}

/**
 * The pure half of the import: parse, then map the agent keys to a Tentacle
 * target and each module block to a check. Throws only when the conf cannot
 * name a server (pandora-remote-config.md §10.5: a server address must remain).
 */
export function mapPandoraConf(text: string, options: MappingOptions): PandoraConfMapping {
  const { file } = options;
  const report = emptyReport(file, options.dryRun);
  const conf = parsePandoraConf(text, file);
  report.unmapped.push(...conf.problems);
  const g = conf.global;
  const used = new Set<string>();
  const take = (key: string): string | undefined => {
    used.add(key);
    return g.get(key)?.value;
  };
  const { config, secrets } = targetConfigFromConf(conf, take, options, report);
  const agentName = take('agent_name');
  if (agentName === undefined && g.has('agent_name_cmd')) {
    used.add('agent_name_cmd');
    report.unmapped.push({
      file,
      line: g.get('agent_name_cmd')!.line,
      text: `agent_name_cmd ${g.get('agent_name_cmd')!.value}`,
      reason:
        "not run at import: checks use this agent's name; set --agent-name per target to change it",
    });
  }
  const intervalText = take('interval');
  let agentInterval = DEFAULT_AGENT_INTERVAL;
  if (intervalText !== undefined) {
    if (/^\d+$/.test(intervalText) && Number(intervalText) > 0)
      agentInterval = Math.min(Number(intervalText), 7 * 86_400);
    else
      report.unmapped.push({
        file,
        line: g.get('interval')!.line,
        text: `interval ${intervalText}`,
        reason: 'not a positive number of seconds: 300 used',
      });
  }
  // A 0/1 key as the Pandora agent reads it: only the exact value 1 is on.
  const onlyOneIsOn = (key: string, meaning: string, otherwise: string): boolean => {
    const text = take(key);
    if (text !== undefined && text !== '1' && text !== '0') {
      report.unmapped.push({
        file,
        line: g.get(key)!.line,
        text: `${key} ${text}`,
        reason: `only 1 ${meaning} (as the Pandora agent reads it): ${otherwise}`,
      });
    }
    return text === '1';
  };
  // §4.
  const remoteConfig = onlyOneIsOn('remote_config', 'turns remote configuration on', 'off');
  // §8.2: the console's disable/enable rewrites `standby 1` / `standby 0`.
  const standby = onlyOneIsOn('standby', 'puts the agent on standby', 'not on standby');
  for (const [key, { value, line }] of g) {
    if (used.has(key)) continue;
    const why = ownValue(NOT_NEEDED, key);
    report.unmapped.push({
      file,
      line,
      text: `${key} ${key.endsWith('pwd') ? '***' : value}`,
      reason: why === undefined ? 'unknown or unsupported key' : `not used: ${why}`,
    });
  }

  const checks: CheckDefinition[] = [];
  for (const block of conf.modules) {
    const def = moduleToCheck(block, file, options.targetName, agentName, agentInterval, report);
    if (def !== undefined) checks.push(standby ? { ...def, enabled: false } : def);
  }
  if (standby) {
    report.notes.push(
      'standby 1: the agent is disabled (as the Pandora console does it): its checks are kept but do not run and no data is sent; remote configuration is still checked, so enabling it in the console resumes them.',
    );
  }
  if (conf.modules.some((m) => m.keys.has('module_exec'))) {
    report.notes.push(
      'module_exec commands run through the shell, as the Pandora agent runs them; the first line they print is the module value, sent with the module type and thresholds of the file, and the server decides the state as before.',
    );
  }
  return {
    conf,
    config,
    secrets,
    agentName,
    agentInterval,
    remoteConfig,
    standby,
    checks,
    report,
  };
}

/** The one place a conf's server keys become the Tentacle target's config and secrets. */
function targetConfigFromConf(
  conf: PandoraConf,
  take: (key: string) => string | undefined,
  options: MappingOptions,
  report: ImportReport,
): { config: Record<string, unknown>; secrets: Array<[string, string]> } {
  const { file, targetName } = options;
  const g = conf.global;
  const host = take('server_ip');
  if (host === undefined) {
    throw new AgentError(
      'invalid-request',
      `${file} has no server_ip: it does not say where the Pandora FMS server is`,
      { field: 'path' },
    );
  }
  const { port, tls, opts } = serverKeys(
    '',
    take,
    (key, text, reason) => report.unmapped.push({ file, line: g.get(key)?.line, text, reason }),
    'the target uses Tentacle',
  );
  if (tls && opts.caPath === undefined) {
    // Tentacle verifies chain and host name against the system store or -f CA; it pins nothing (tentacle.md §17.1).
    report.notes.push(
      `server_ssl / -c: the Pandora agent does not verify the server; Outpost does, against the system's trusted CAs. A server whose certificate comes from a private CA or is self-signed needs that CA: \`outpost tentacle add ${targetName} -a ${host} -c -f CA_FILE\` (or -f CA_FILE in server_opts before the import).`,
    );
  }
  const password = take('server_pwd') ?? opts.password;
  const secondary = secondaryFromConf(
    g,
    { file, target: targetName, allowPlainPassword: options.allowPlainPassword === true },
    report,
  );
  for (const key of SECONDARY_KEYS) take(key);

  // The Tentacle target's config (contract/tentacle.ts connectionSchema); secrets go to the SecretStore.
  const primary = connectionFromClientFlags(opts, (text, reason) =>
    report.unmapped.push({ file, line: g.get('server_opts')?.line, text, reason }),
  );
  const config: Record<string, unknown> = { host, port, tls, ...primary.fields };
  if (secondary.config !== undefined) config.secondary = secondary.config;
  const proxyPassword = primary.proxyPassword;
  if (password !== undefined && !tls) {
    if (options.allowPlainPassword === true) {
      config.allowPlainPassword = true;
      report.notes.push(
        'server_pwd without TLS: the password digest travels in clear and can be replayed (tentacle.md §8), allowed as asked (--allow-plain-password).',
      );
    } else {
      report.unmapped.push({
        file,
        line: g.get('server_pwd')?.line ?? g.get('server_opts')?.line,
        text: 'server_pwd ***',
        reason:
          'a password over plain TCP can be replayed by anyone on the path (tentacle.md §8): Outpost will refuse to send it until the target uses TLS (server_ssl 1) or you re-run the import with --allow-plain-password',
      });
    }
  }
  const secrets: Array<[string, string]> = [];
  if (password !== undefined) secrets.push([tentacleSecretName(targetName, 'password'), password]);
  if (proxyPassword !== undefined && proxyPassword !== '')
    secrets.push([tentacleSecretName(targetName, 'proxyPassword'), proxyPassword]);
  secrets.push(...secondary.secrets);
  return { config, secrets };
}

function moduleToCheck(
  block: PandoraModuleBlock,
  file: string,
  target: string,
  agentName: string | undefined,
  agentInterval: number,
  report: ImportReport,
): CheckDefinition | undefined {
  const k = block.keys;
  const name = k.get('module_name')?.value;
  if (name === undefined || name === '') {
    report.unmapped.push({
      file,
      line: block.line,
      text: 'module_begin',
      reason: 'module without module_name: skipped',
    });
    return undefined;
  }
  const used = new Set(['module_name']);
  const def: Record<string, unknown> = {
    name: checkName(name),
    targets: [{ target, moduleName: name, ...(agentName === undefined ? {} : { agentName }) }],
  };
  const exec = k.get('module_exec');
  const builtinKey = BUILTIN_MODULE_KEYS.find((key) => k.has(key));
  if (exec !== undefined && exec.value !== '') {
    used.add('module_exec');
    def.command = { argv: [exec.value], shell: true };
  } else if (builtinKey !== undefined) {
    used.add(builtinKey);
    const value = k.get(builtinKey)!.value;
    def.builtin =
      builtinKey === 'module_proc'
        ? { kind: 'process', options: { name: value, crit: '1:' } }
        : builtinKey === 'module_freedisk_percentage'
          ? { kind: 'disk', options: { mount: value, warn: '90', crit: '95' } }
          : builtinKey === 'module_cpuusage'
            ? { kind: 'cpu', options: { warn: '80', crit: '95' } }
            : { kind: 'memory', options: { warn: '80', crit: '90' } };
    report.notes.push(
      `module '${name}' (line ${block.line}): ${builtinKey} became the built-in ${(def.builtin as { kind: string }).kind} check, with thresholds and perfdata`,
    );
  } else {
    report.unmapped.push({
      file,
      line: block.line,
      text: `module '${name}'`,
      reason:
        'no module_exec (nor module_proc, module_freedisk_percentage, module_cpuusage, module_freepercentmemory): skipped',
    });
    return undefined;
  }
  const multiplier = k.get('module_interval');
  used.add('module_interval');
  let interval = agentInterval;
  if (multiplier !== undefined) {
    if (/^\d+$/.test(multiplier.value) && Number(multiplier.value) > 0)
      interval = agentInterval * Number(multiplier.value);
    else
      report.unmapped.push({
        file,
        line: multiplier.line,
        text: `module_interval ${multiplier.value}`,
        reason: 'not a positive multiplier: the agent interval is used',
      });
  }
  def.interval = Math.min(interval, 7 * 86_400);
  const timeout = k.get('module_timeout');
  used.add('module_timeout');
  if (timeout !== undefined) {
    if (/^\d+$/.test(timeout.value) && Number(timeout.value) > 0)
      def.timeout = Math.min(Number(timeout.value), 3600);
    else
      report.unmapped.push({
        file,
        line: timeout.line,
        text: `module_timeout ${timeout.value}`,
        reason: 'not a number of seconds: 10 used',
      });
  }
  used.add('module_type');
  const type = k.get('module_type');
  const naming = (def.targets as Array<Record<string, unknown>>)[0]!;
  if (def.command !== undefined) {
    // module_exec prints the module's value: keep the type and thresholds the server already has (§3.5).
    const typeName = type?.value ?? 'generic_data';
    if (!(PANDORA_VALUE_TYPES as readonly string[]).includes(typeName)) {
      report.unmapped.push({
        file,
        line: type!.line,
        text: `module_type ${typeName}`,
        reason: `not a type Outpost sends as a value (${PANDORA_VALUE_TYPES.join(', ')}): module skipped`,
      });
      return undefined;
    }
    const spec: Record<string, unknown> = { type: typeName };
    const text = (key: string, field: string, max: number): void => {
      const v = k.get(key);
      used.add(key);
      if (v !== undefined && v.value !== '') spec[field] = v.value.slice(0, max);
    };
    text('module_description', 'description', 255);
    text('module_unit', 'unit', 32);
    for (const [key, field] of [
      ['module_min_warning', 'minWarning'],
      ['module_max_warning', 'maxWarning'],
      ['module_min_critical', 'minCritical'],
      ['module_max_critical', 'maxCritical'],
    ] as const) {
      const v = k.get(key);
      used.add(key);
      if (v === undefined || v.value === '') continue;
      if (/^-?\d+(\.\d+)?$/.test(v.value)) spec[field] = Number(v.value);
      else
        report.unmapped.push({
          file,
          line: v.line,
          text: `${key} ${v.value}`,
          reason: 'not a number: threshold left out',
        });
    }
    for (const [key, field] of [
      ['module_warning_inverse', 'warningInverse'],
      ['module_critical_inverse', 'criticalInverse'],
    ] as const) {
      const v = k.get(key);
      used.add(key);
      if (v !== undefined && v.value !== '') spec[field] = v.value === '1';
    }
    naming.pandoraModule = spec;
  } else if (builtinKey !== 'module_proc') {
    // The built-in reports a generic_proc state module: under the old name it would clash with the
    // server's existing module of another type (§3.5), so it gets a name of its own.
    naming.moduleName = `${name} (Outpost)`;
    report.notes.push(
      `module '${name}' (line ${block.line}): the built-in reports its state as module '${name} (Outpost)' (plus its perfdata modules); the old '${name}' module stops receiving data`,
    );
  }
  for (const [key, { value, line }] of k) {
    if (used.has(key)) continue;
    report.unmapped.push({
      file,
      line,
      text: `${key} ${value}`.trim(),
      reason: `not carried over (module '${name}')`,
    });
  }
  const parsed = checkDefinitionSchema.safeParse(def);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    report.unmapped.push({
      file,
      line: block.line,
      text: `module '${name}'`,
      reason: `${issue?.path.join('.')}: ${issue?.message}`,
    });
    return undefined;
  }
  return parsed.data;
}

/** A Pandora module name as a check name (letters, digits, spaces, . _ -). */
function checkName(moduleName: string): string {
  const cleaned = moduleName
    .replace(/[^A-Za-z0-9._ -]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/\s+$/, '')
    .slice(0, 100);
  return CHECK_NAME_PATTERN.test(cleaned)
    ? cleaned
    : `module_${cleaned.replace(/[^A-Za-z0-9]/g, '') || 'x'}`.slice(0, 100);
}
