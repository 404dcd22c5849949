import type { SeedParameterSpec, SeedSection, SeedTarget } from './section.ts';
import { endpointName, seedError, seedFlag } from './seed-values.ts';

/**
 * The silent-deployment seed (build/README.md "Installing and deploying"):
 * a `KEY=VALUE` file an installer writes from its command line (NSIS `/KEY=…`,
 * MSI properties, a file dropped by an MDM or a shell script), applied once on
 * the agent's first start. The keys are the installer parameter names, so one
 * table documents the NSIS switches, the MSI properties and the file.
 *
 * Format: UTF-8 (or UTF-16 with BOM, as Windows' INI API may write it), one
 * `KEY=VALUE` per line, `#`/`;` comments, an optional `[seed]` section header
 * (what NSIS WriteINIStr and MSI IniFile produce), values optionally quoted.
 *
 * This file knows the format, the agent-wide parameters and the loop over the
 * modules' sections (section.ts); each protocol's parameters are its own
 * (protocols/<name>/seed.ts).
 */

/** The parameters that are the agent's, not a protocol's. */
const AGENT_SEED_PARAMETERS: Readonly<Record<string, SeedParameterSpec>> = {
  AGENT_NAME: { description: 'endpoint name / CN of this agent (default: the machine FQDN)' },
  AUTO_UPDATE: {
    description: '0 turns automatic updates off (settings agent.autoUpdate), 1 leaves them on',
  },
};

export interface Seed {
  agent: { name?: string; autoUpdate?: boolean };
  /** One per section whose lead parameter the file gives, in module order. */
  targets: Array<{ section: SeedSection; parsed: SeedTarget }>;
}

/** The seed sections of `modules`, each once (a test may list a build's module twice). */
export function seedSectionsOf(modules: ReadonlyArray<{ seed?: SeedSection }>): SeedSection[] {
  return [...new Set(modules.flatMap((m) => (m.seed === undefined ? [] : [m.seed])))];
}

/**
 * Every parameter a seed may hold, in documentation order: the agent's, then
 * each section's. Two sections may not claim one name: the installers pass
 * parameters by name only.
 */
export function seedParameters(
  sections: readonly SeedSection[],
): ReadonlyMap<string, SeedParameterSpec> {
  const parameters = new Map(Object.entries(AGENT_SEED_PARAMETERS));
  for (const section of sections) {
    if (!Object.hasOwn(section.parameters, section.lead))
      throw new Error(`the ${section.kind} seed section does not declare its lead ${section.lead}`);
    for (const [name, spec] of Object.entries(section.parameters)) {
      if (parameters.has(name))
        throw new Error(`seed parameter ${name} is declared twice (${section.kind} section)`);
      parameters.set(name, spec);
    }
  }
  return parameters;
}

/** The parameters whose value must never stay on disk once applied. */
export function secretSeedParameters(sections: readonly SeedSection[]): ReadonlySet<string> {
  return secretParameterNames(seedParameters(sections));
}

/** The secret ones of `parameters` (seedParameters), for a caller that already built them. */
export function secretParameterNames(
  parameters: ReadonlyMap<string, SeedParameterSpec>,
): ReadonlySet<string> {
  return new Set([...parameters].filter(([, spec]) => spec.secret === true).map(([name]) => name));
}

/** Reads the raw `KEY=VALUE` map; rejects unknown keys, duplicates and junk lines. */
export function parseSeedText(
  input: string | Uint8Array,
  known: ReadonlyMap<string, unknown>,
): Map<string, string> {
  const text = typeof input === 'string' ? input.replace(/^\uFEFF/, '') : decodeSeedBytes(input);
  const values = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    const lineNo = index + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      if (line.toLowerCase() !== '[seed]') {
        throw seedError(
          `line ${lineNo}`,
          `unexpected section '${line}': the only section is [seed]`,
        );
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0)
      throw seedError(`line ${lineNo}`, `expected KEY=VALUE, got '${line.slice(0, 40)}'`);
    const key = line.slice(0, eq).trim().toUpperCase();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    if (!known.has(key)) {
      throw seedError(
        key,
        `unknown parameter (line ${lineNo}); known parameters are ${[...known.keys()].join(', ')}`,
      );
    }
    if (values.has(key)) throw seedError(key, `given twice (line ${lineNo})`);
    // An installer writes every parameter it knows, empty when not given on its command line.
    if (value !== '') values.set(key, value);
  }
  return values;
}

function decodeSeedBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw seedError('seed', 'the file is neither UTF-8 nor UTF-16 with a BOM');
  }
}

/**
 * Parses and validates a whole seed file against the parameters of
 * `sections`. Every error names the parameter at fault.
 */
export function parseSeed(input: string | Uint8Array, sections: readonly SeedSection[]): Seed {
  return seedFromValues(parseSeedText(input, seedParameters(sections)), sections);
}

/** Validates the raw map parseSeedText read (with the parameters of `sections`). */
export function seedFromValues(
  raw: ReadonlyMap<string, string>,
  sections: readonly SeedSection[],
): Seed {
  const seed: Seed = { agent: {}, targets: [] };
  const agentName = raw.get('AGENT_NAME');
  if (agentName !== undefined) seed.agent.name = endpointName(agentName, 'AGENT_NAME');
  const autoUpdate = raw.get('AUTO_UPDATE');
  if (autoUpdate !== undefined) seed.agent.autoUpdate = seedFlag(autoUpdate, 'AUTO_UPDATE');

  for (const section of sections) {
    const values = new Map(
      Object.keys(section.parameters).flatMap((name) => {
        const value = raw.get(name);
        return value === undefined ? [] : [[name, value] as const];
      }),
    );
    if (!values.has(section.lead)) {
      const [stray] = values.keys();
      if (stray !== undefined) {
        const { example, meaning } = section.leadValue ?? {
          example: 'HOST[:PORT]',
          meaning: `the ${section.protocol} server`,
        };
        throw seedError(
          stray,
          `is only meaningful with ${section.lead} (${meaning}): add ${section.lead}=${example}`,
        );
      }
      continue;
    }
    for (const [other, why] of Object.entries(section.excludes ?? {}))
      if (raw.has(other)) throw seedError(section.lead, `cannot be given with ${other}: ${why}`);
    seed.targets.push({ section, parsed: section.parse(values) });
  }

  const names = seed.targets.map((t) => t.parsed.target);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined)
    throw seedError(
      'seed',
      `two targets are named '${duplicate}': set the *_TARGET parameters apart`,
    );
  if (
    seed.targets.length === 0 &&
    seed.agent.name === undefined &&
    seed.agent.autoUpdate === undefined
  ) {
    throw seedError(
      'seed',
      `the file sets nothing: give at least one server (${sections.map((s) => s.lead).join(', ')})`,
    );
  }
  return seed;
}
