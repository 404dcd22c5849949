import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AGENT_MODULES, type Agent } from '../agent.ts';
import type { AgentContext } from '../context.ts';
import { AgentError, toAgentError } from '../contract/errors.ts';
import { writeFileAtomic } from '../fsutil.ts';
import { APP_NAME } from '../paths.ts';
import { targetSecretName } from '../secrets.ts';
import type { TargetKind } from '../contract/targets.ts';
import type { SeedOutcome, SeedSection, SeedTarget } from './section.ts';
import {
  parseSeedText,
  secretParameterNames,
  seedFromValues,
  seedParameters,
  seedSectionsOf,
  type Seed,
} from './seed.ts';

export const SEED_FILE_NAME = 'seed.ini';
export const APPLIED_SEED_FILE_NAME = 'seed.applied.ini';

/**
 * Where installers drop a seed (build/README.md): the user's data directory
 * (per-user installs), then the machine-wide folder (per-machine installs,
 * MDM, configuration management), which every user's agent can read.
 */
export function seedLocations(
  dataDir: string,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return [join(dataDir, SEED_FILE_NAME), join(machineSeedDir(platform, env), SEED_FILE_NAME)];
}

export function machineSeedDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32')
    return join(env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData', APP_NAME);
  if (platform === 'darwin') return join('/Library/Application Support', APP_NAME);
  return '/etc/outpost';
}

export interface SeedTargetResult {
  target: string;
  kind: TargetKind;
  outcome: SeedOutcome;
  detail: string;
}

export interface SeedReport {
  source: string;
  status: 'applied' | 'retry' | 'invalid' | 'already-applied';
  error?: string;
  targets: SeedTargetResult[];
  /** SecretStore names the seed's secrets were moved to. */
  secretsStored: string[];
  /** False when the source could not be deleted (e.g. a machine-wide file owned by an administrator). */
  sourceRemoved: boolean;
  warnings: string[];
}

/**
 * Applies every seed found at `locations` once (first start after a silent
 * install). Secrets go to the SecretStore; a copy of the seed without them is
 * kept as `seed.applied.ini` in the data directory (with the result and the
 * source's SHA-256, which stops a seed that could not be deleted from being
 * applied again); the source is then deleted. Never throws for a bad seed: it
 * is reported (log + notice) and left in place for the administrator to fix.
 */
export async function applyPendingSeeds(
  agent: Agent,
  locations: readonly string[] = seedLocations(agent.context.paths.root),
): Promise<SeedReport[]> {
  const reports: SeedReport[] = [];
  for (const path of locations) {
    const report = await applySeedFile(agent, path);
    if (report !== undefined) reports.push(report);
  }
  return reports;
}

/**
 * The sections a seed may hold: every module of the build (its installers
 * write all their parameters), and the agent's own modules. A section whose
 * module this agent does not run is reported as skipped, its secrets still
 * moved off the disk.
 */
function sectionsFor(agent: Agent): SeedSection[] {
  return seedSectionsOf([...AGENT_MODULES, ...agent.modules]);
}

export async function applySeedFile(agent: Agent, path: string): Promise<SeedReport | undefined> {
  const ctx = agent.context;
  let bytes: Buffer;
  try {
    bytes = await readTrustedSeed(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // An unreadable or untrusted seed (permissions, a folder in its place) must not stop the agent: say so and go on.
    const message =
      error instanceof AgentError
        ? error.message
        : `cannot read the seed file: ${(error as Error).message}`;
    ctx.log.error('the installer seed could not be read', { file: path, error: message });
    ctx.events.emit('notice', {
      level: 'error',
      title: 'Deployment settings not applied',
      body: `${path}: ${message}`,
    });
    return {
      source: path,
      status: 'invalid',
      error: message,
      targets: [],
      secretsStored: [],
      sourceRemoved: false,
      warnings: [],
    };
  }
  // Built once a seed exists: most starts find none.
  const sections = sectionsFor(agent);
  const parameters = seedParameters(sections);
  const secretParameters = secretParameterNames(parameters);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const report: SeedReport = {
    source: path,
    status: 'applied',
    targets: [],
    secretsStored: [],
    sourceRemoved: false,
    warnings: [],
  };
  const appliedPath = join(ctx.paths.root, APPLIED_SEED_FILE_NAME);

  if ((await appliedHashes(appliedPath)).includes(sha256)) {
    report.status = 'already-applied';
    report.sourceRemoved = await removeSource(
      path,
      report,
      secretsIn(bytes, parameters, secretParameters),
    );
    // Said at every start while the file stays: it may still hold secrets.
    for (const warning of report.warnings) ctx.log.warn(warning, { file: path });
    if (!report.sourceRemoved) {
      ctx.events.emit('notice', {
        level: 'warning',
        title: 'Installer seed left on disk',
        body: report.warnings.join('\n'),
      });
    }
    return report;
  }

  let seed: Seed;
  let raw: Map<string, string>;
  try {
    raw = parseSeedText(bytes, parameters);
    seed = seedFromValues(raw, sections);
  } catch (error) {
    report.status = 'invalid';
    report.error = toAgentError(error).message;
    ctx.log.error('the installer seed is invalid and was not applied', {
      file: path,
      error: report.error,
    });
    ctx.events.emit('notice', {
      level: 'error',
      title: 'Deployment settings not applied',
      body: `${path}: ${report.error}. Fix the file (or the installer parameters) and restart Outpost.`,
    });
    return report;
  }

  if (seed.agent.name !== undefined || seed.agent.autoUpdate !== undefined) {
    ctx.settings.update((draft) => {
      if (seed.agent.name !== undefined) draft.agent.name = seed.agent.name;
      if (seed.agent.autoUpdate !== undefined) draft.agent.autoUpdate = seed.agent.autoUpdate;
    });
  }

  // Secrets first: whatever happens to a target, they must not stay on disk.
  for (const { parsed } of seed.targets) {
    for (const [name, value] of Object.entries(parsed.secrets))
      await storeSecret(ctx, report, targetSecretName(parsed.target, name), value);
  }
  for (const { section, parsed } of seed.targets)
    report.targets.push(await applySection(agent, section, parsed, seed.agent.name));

  if (report.targets.some((t) => t.outcome === 'retry')) {
    report.status = 'retry';
    await keepForRetry(path, raw, report, secretParameters);
  } else {
    await writeFileAtomic(
      appliedPath,
      appliedFileText(path, sha256, raw, secretParameters, report, await readOptional(appliedPath)),
      0o600,
    );
    report.sourceRemoved = await removeSource(path, report, secretNames(raw, secretParameters));
  }

  const summary = report.targets.map((t) => `${t.target} (${t.kind}): ${t.outcome}`).join('; ');
  ctx.log.info(
    report.status === 'retry'
      ? 'installer seed applied in part, the rest is retried at the next start'
      : 'installer seed applied',
    {
      file: path,
      targets: summary,
      secrets: report.secretsStored.length,
    },
  );
  for (const t of report.targets)
    if (t.outcome !== 'created') ctx.log.warn(`${t.target}: ${t.detail}`, { file: path });
  for (const warning of report.warnings) ctx.log.warn(warning, { file: path });
  const failed = report.targets.some((t) => t.outcome !== 'created') || report.warnings.length > 0;
  ctx.events.emit('notice', {
    level: failed ? 'warning' : 'info',
    title: 'Deployment settings applied',
    body: [
      summary === '' ? 'agent settings only' : summary,
      ...report.targets.map((t) => `${t.target}: ${t.detail}`),
      ...report.warnings,
    ].join('\n'),
  });
  return report;
}

/**
 * One protocol's section through its module (section.ts): skipped when this
 * agent has no driver of its kind, `failed` with the error's message when
 * its `apply` throws.
 */
async function applySection(
  agent: Agent,
  section: SeedSection,
  parsed: SeedTarget,
  agentName: string | undefined,
): Promise<SeedTargetResult> {
  const { target } = parsed;
  const { kind } = section;
  if (!agent.context.targets.knowsKind(kind)) {
    return {
      target,
      kind,
      outcome: 'skipped',
      detail: `this build of Outpost has no ${kind} module; pair it from the app once it has`,
    };
  }
  try {
    const applied = await section.apply(parsed, { ctx: agent.context, api: agent.api, agentName });
    return { target, kind, ...applied };
  } catch (error) {
    return { target, kind, outcome: 'failed', detail: toAgentError(error).message };
  }
}

/** Rewrites the seed without its secrets (they are in the SecretStore) so the next start retries it. */
async function keepForRetry(
  path: string,
  raw: Map<string, string>,
  report: SeedReport,
  secretParameters: ReadonlySet<string>,
): Promise<void> {
  if (report.secretsStored.length === 0) return;
  const lines = [
    `# Outpost: secrets moved to the secret store (${report.secretsStored.join(', ')}); retried at the next start`,
    '[seed]',
  ];
  for (const [key, value] of raw) if (!secretParameters.has(key)) lines.push(`${key}=${value}`);
  try {
    await writeFileAtomic(path, `${lines.join('\n')}\n`, 0o600);
  } catch (error) {
    report.warnings.push(
      `could not rewrite the seed file ${path} without its secrets (${(error as NodeJS.ErrnoException).code ?? 'error'}): an administrator should delete it once Outpost is paired`,
    );
  }
}

async function storeSecret(
  ctx: AgentContext,
  report: SeedReport,
  name: string,
  value: string,
): Promise<void> {
  await ctx.secrets.set(name, value);
  report.secretsStored.push(name);
}

async function removeSource(
  path: string,
  report: SeedReport,
  secrets: readonly string[],
): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    const holdsSecrets =
      secrets.length > 0 ? ` It still holds secrets (${secrets.join(', ')}):` : '';
    report.warnings.push(
      `could not delete the seed file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).${holdsSecrets} an administrator should delete it; it will not be applied again`,
    );
    return false;
  }
}

/** The secret parameters a seed file holds (names only), whether or not it is valid. */
function secretsIn(
  bytes: Uint8Array,
  parameters: ReadonlyMap<string, unknown>,
  secretParameters: ReadonlySet<string>,
): string[] {
  try {
    return secretNames(parseSeedText(bytes, parameters), secretParameters);
  } catch {
    return [];
  }
}

function secretNames(
  raw: ReadonlyMap<string, string>,
  secretParameters: ReadonlySet<string>,
): string[] {
  return [...raw.keys()].filter((key) => secretParameters.has(key));
}

/**
 * Reads a seed only if nobody but an administrator (root) or this user can
 * have written it: a seed pairs the agent with the servers it names, so a
 * folder that any local user can write in (or a file they can change) would
 * let them redirect every agent of the machine to a server of theirs. The
 * folder must be owned by root or this user and not writable by group or
 * others; so must the file, unless nobody else can enter the folder (the
 * 0700 data folder). A missing folder or file throws ENOENT (no seed).
 *
 * Windows: skipped. Mode bits do not describe its ACLs; %ProgramData%\Outpost
 * is created by the per-machine installers with their own ACLs
 * (build/README.md "What happens on first start").
 */
async function readTrustedSeed(path: string): Promise<Buffer> {
  if (process.platform === 'win32') return readFile(path);
  const folder = dirname(path);
  const folderInfo = await stat(folder);
  assertOnlyTrustedWriters(folder, 'folder', folderInfo);
  const handle = await open(path, 'r');
  try {
    // Others who cannot enter the folder cannot reach the file either.
    if ((folderInfo.mode & 0o011) !== 0)
      assertOnlyTrustedWriters(path, 'file', await handle.stat());
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function assertOnlyTrustedWriters(path: string, what: 'folder' | 'file', info: Stats): void {
  if (info.uid !== 0 && info.uid !== process.getuid?.()) {
    throw new AgentError(
      'refused',
      `the seed ${what} ${path} belongs to another user (uid ${info.uid}), who could have written the seed: it is not applied. An administrator should give it to root: sudo chown root ${path}`,
    );
  }
  if ((info.mode & 0o022) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new AgentError(
      'refused',
      `the seed ${what} ${path} can be changed by other users (mode ${mode}): any of them could have written the seed, so it is not applied. Remove their write access: chmod go-w ${path}`,
    );
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

const HASH_LINE = /^# sha256 ([0-9a-f]{64})$/gm;

async function appliedHashes(appliedPath: string): Promise<string[]> {
  const text = await readOptional(appliedPath);
  return text === undefined ? [] : [...text.matchAll(HASH_LINE)].map((m) => m[1]!);
}

/** The record of what was applied: the seed without its secrets, newest first, earlier records kept. */
function appliedFileText(
  source: string,
  sha256: string,
  raw: Map<string, string>,
  secretParameters: ReadonlySet<string>,
  report: SeedReport,
  previous: string | undefined,
): string {
  const lines = [
    `# Outpost installer seed applied ${new Date().toISOString()} from ${source}`,
    `# sha256 ${sha256}`,
  ];
  for (const t of report.targets)
    lines.push(`# ${t.kind} target '${t.target}': ${t.outcome}: ${t.detail}`);
  for (const name of report.secretsStored)
    lines.push(`# secret moved to the secret store as ${name}`);
  lines.push('[seed]');
  for (const [key, value] of raw) if (!secretParameters.has(key)) lines.push(`${key}=${value}`);
  const text = `${lines.join('\n')}\n`;
  return previous === undefined ? text : `${text}\n${previous}`;
}
