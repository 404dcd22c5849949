/**
 * Puts a mapped `pandora_agent.conf` in force for one Pandora agent definition:
 * its checks become exactly the conf's modules (added, replaced, removed), the
 * agent record and its conf copy are updated, and — for a conf from the
 * server — the target's server settings follow the conf. Shared by the import
 * and by remote configuration (pandora-remote-config.md §4.6: reload, no restart).
 */
import type { AgentContext } from '../../context.ts';
import { checkDefinitionSchema, type CheckDefinition } from '../../contract/check-definitions.ts';
import type {
  PandoraAgent,
  PandoraConfChange,
  PandoraModuleChanges,
} from '../../contract/pandora-agents.ts';
import type { PandoraConfMapping } from '../../checks/import/pandora-conf.ts';
import { readChecksSection, updateChecksSection } from '../../checks/store.ts';
import { writeLocalConf } from './conf-store.ts';

/** What the checks service offers this module: the driver-aware check and the scheduler reload. */
export interface ChecksReload {
  validate(def: CheckDefinition): void;
  reload(): void;
}

export interface ConfApplication {
  agent: Pick<
    PandoraAgent,
    'name' | 'target' | 'agentName' | 'remoteConfig' | 'standby' | 'interval'
  >;
  /** The conf's exact bytes (hashed by remote configuration, §10.1). */
  bytes: Uint8Array;
  mapping: PandoraConfMapping;
  by: PandoraConfChange['by'];
  /** For a conf from the server: the target config its previous conf mapped to. */
  previousTargetConfig?: Record<string, unknown>;
  previousSecrets?: ReadonlyArray<[string, string]>;
}

export interface AppliedConf {
  agent: PandoraAgent;
  changes: PandoraModuleChanges;
  /** Modules the conf has that could not become checks (name taken, naming refused). */
  rejected: Array<{ name: string; reason: string }>;
  targetChanged: boolean;
}

export async function applyPandoraConf(
  ctx: AgentContext,
  checks: ChecksReload,
  app: ConfApplication,
): Promise<AppliedConf> {
  const section = readChecksSection(ctx.settings);
  const previous = section.pandoraAgents.find((a) => a.name === app.agent.name);
  const owned = new Map(
    section.definitions.filter((d) => d.pandoraAgent === app.agent.name).map((d) => [d.name, d]),
  );
  const others = section.definitions.filter((d) => d.pandoraAgent !== app.agent.name);
  const taken = new Set(others.map((d) => d.name));

  const targetChanged = app.by === 'server' ? await updateTarget(ctx, app) : false;

  const accepted: CheckDefinition[] = [];
  const rejected: AppliedConf['rejected'] = [];
  for (const mapped of app.mapping.checks) {
    // Read through the schema, as settings store it: the comparison below sees values, not key order.
    const def = checkDefinitionSchema.parse({ ...mapped, pandoraAgent: app.agent.name });
    if (taken.has(def.name)) {
      rejected.push({
        name: def.name,
        reason: `a check named '${def.name}' already exists (not from this conf): rename one of them`,
      });
      continue;
    }
    try {
      checks.validate(def);
    } catch (error) {
      rejected.push({ name: def.name, reason: (error as Error).message });
      continue;
    }
    taken.add(def.name);
    accepted.push(def);
  }
  const changes: PandoraModuleChanges = { added: [], replaced: [], removed: [] };
  for (const def of accepted) {
    const old = owned.get(def.name);
    if (old === undefined) changes.added.push(def.name);
    else if (JSON.stringify(old) !== JSON.stringify(def)) changes.replaced.push(def.name);
  }
  const keptNames = new Set(accepted.map((d) => d.name));
  for (const name of owned.keys()) if (!keptNames.has(name)) changes.removed.push(name);

  const agent: PandoraAgent = {
    ...app.agent,
    lastChange: {
      at: Date.now(),
      by: app.by,
      summary: describeChange(app, previous, changes, targetChanged),
      added: changes.added.length,
      changed: changes.replaced.length,
      removed: changes.removed.length,
    },
  };
  // Settings first, the conf copy last: a crash in between leaves a conf whose MD5 differs from
  // the server's, so the next run downloads and applies it again (applying twice changes nothing).
  updateChecksSection(ctx.settings, (s) => ({
    ...s,
    definitions: [...others, ...accepted],
    pandoraAgents: [...s.pandoraAgents.filter((a) => a.name !== agent.name), agent],
  }));
  await writeLocalConf(ctx, agent.name, app.bytes);
  checks.reload();
  return { agent, changes, rejected, targetChanged };
}

/**
 * §4.6: the server settings the conf carries (server_ip, server_port,
 * server_opts…) change the target; settings the conf never controls (outbox,
 * anything set with `outpost tentacle`) stay. Throws, before anything is
 * written, when the new settings are not a valid target.
 */
async function updateTarget(ctx: AgentContext, app: ConfApplication): Promise<boolean> {
  const record = ctx.targets.get(app.agent.target, 'target');
  const schema = ctx.targets.driver(record.kind).configSchema;
  // Compared as the driver's schema reads them: defaults filled, keys in one order.
  const current = schema.parse(record.config) as Record<string, unknown>;
  const next: Record<string, unknown> = { ...current };
  for (const key of Object.keys(app.previousTargetConfig ?? {})) delete next[key];
  Object.assign(next, app.mapping.config);
  let changed = false;
  if (JSON.stringify(schema.parse(next)) !== JSON.stringify(current)) {
    ctx.targets.save(app.agent.target, record.kind, next);
    changed = true;
  }
  const names = new Set(app.mapping.secrets.map(([name]) => name));
  for (const [name] of app.previousSecrets ?? []) {
    if (!names.has(name)) {
      await ctx.secrets.delete(name);
      changed = true;
    }
  }
  for (const [name, value] of app.mapping.secrets) {
    if ((await ctx.secrets.get(name)) === value) continue;
    await ctx.secrets.set(name, value);
    changed = true;
  }
  return changed;
}

/** "configuration changed by the Pandora server: 2 modules added, 1 removed" (issue #18). */
function describeChange(
  app: ConfApplication,
  previous: PandoraAgent | undefined,
  changes: PandoraModuleChanges,
  targetChanged: boolean,
): string {
  const counts: Array<[number, string]> = [
    [changes.added.length, 'added'],
    [changes.replaced.length, 'changed'],
    [changes.removed.length, 'removed'],
  ];
  const parts = counts
    .filter(([n]) => n > 0)
    .map(([n, verb], i) => (i === 0 ? `${n} module${n === 1 ? '' : 's'} ${verb}` : `${n} ${verb}`));
  if (previous !== undefined && previous.interval !== app.agent.interval)
    parts.push(`interval ${previous.interval} s → ${app.agent.interval} s`);
  if (previous !== undefined && previous.agentName !== app.agent.agentName)
    parts.push(`agent name '${previous.agentName}' → '${app.agent.agentName}'`);
  if (targetChanged) parts.push(`server settings of target '${app.agent.target}' changed`);
  if ((previous?.standby ?? false) !== app.agent.standby)
    parts.push(
      app.agent.standby
        ? 'standby: its checks stopped, no data sent'
        : 'standby off: its checks run again',
    );
  if (parts.length === 0) parts.push('no module changed');
  return app.by === 'server'
    ? `configuration changed by the Pandora server: ${parts.join(', ')}`
    : `imported: ${parts.join(', ')}`;
}
