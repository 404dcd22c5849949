import { AgentError } from '../contract/errors.ts';
import type { Settings } from '../settings/settings.ts';
import { parseWith } from '../contract/parse.ts';
import {
  checksSectionSchema,
  type CheckDefinition,
  type ChecksSection,
} from '../contract/check-definitions.ts';

/** The `checks` section of settings, validated. */
export function readChecksSection(settings: Settings): ChecksSection {
  return parseWith(checksSectionSchema, settings.section('checks') ?? {}, 'checks');
}

export function listDefinitions(settings: Settings): CheckDefinition[] {
  return readChecksSection(settings).definitions;
}

export function findDefinition(settings: Settings, name: string): CheckDefinition | undefined {
  return listDefinitions(settings).find((d) => d.name === name);
}

export function getDefinition(settings: Settings, name: string): CheckDefinition {
  const found = findDefinition(settings, name);
  if (found === undefined) {
    const known = listDefinitions(settings).map((d) => d.name);
    throw new AgentError(
      'not-found',
      `no check named '${name}'${known.length > 0 ? `: checks are ${known.join(', ')}` : ': none is defined yet (outpost check add)'}`,
      { field: 'name' },
    );
  }
  return found;
}

/** Rewrites the definitions through `mutate`, validating the result. */
export function updateDefinitions(
  settings: Settings,
  mutate: (definitions: CheckDefinition[]) => CheckDefinition[],
): CheckDefinition[] {
  return updateChecksSection(settings, (section) => ({
    ...section,
    definitions: mutate([...section.definitions]),
  })).definitions;
}

/** Rewrites the whole section (a Pandora agent and its checks change in one write). */
export function updateChecksSection(
  settings: Settings,
  mutate: (section: ChecksSection) => ChecksSection,
): ChecksSection {
  const next = parseWith(checksSectionSchema, mutate(readChecksSection(settings)), 'checks');
  settings.update((draft) => {
    (draft as Record<string, unknown>).checks = next;
  });
  return next;
}
