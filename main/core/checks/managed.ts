/**
 * Checks that belong to a Pandora agent definition (contract/pandora-agents.ts):
 * with `remote_config 1` their conf lives on the Pandora server, so local edits
 * are refused (the server's copy would revert them on the next run,
 * pandora-remote-config.md §4) and the message says where to edit instead.
 */
import { AgentError } from '../contract/errors.ts';
import type { CheckDefinition, ChecksSection } from '../contract/check-definitions.ts';
import type { PandoraAgent } from '../contract/pandora-agents.ts';
import type { Settings } from '../settings/settings.ts';
import { readChecksSection } from './store.ts';

export function findPandoraAgent(settings: Settings, name: string): PandoraAgent | undefined {
  return readChecksSection(settings).pandoraAgents.find((a) => a.name === name);
}

export function remotelyManaged(agent: PandoraAgent, check?: string): AgentError {
  const what = check === undefined ? `Pandora agent '${agent.name}'` : `check '${check}'`;
  return new AgentError(
    'refused',
    `${what} is managed by the Pandora server (agent '${agent.agentName}', remote_config 1): edit its configuration in the Pandora console (agent > Setup > remote configuration); Outpost applies it on its next run. A local edit would be reverted by the server's copy.`,
    { field: 'name' },
  );
}

/** The remotely managed agent a check (existing or proposed) belongs to, or feeds as one of its modules. */
function managingAgent(section: ChecksSection, def: CheckDefinition): PandoraAgent | undefined {
  return section.pandoraAgents.find(
    (agent) =>
      agent.remoteConfig &&
      (def.pandoraAgent === agent.name ||
        def.targets.some((t) => t.target === agent.target && t.agentName === agent.agentName)),
  );
}

/** Throws when any of these definitions is a remotely managed agent's: a local edit must not change it. */
export function assertLocallyEditable(
  section: ChecksSection,
  defs: ReadonlyArray<CheckDefinition | undefined>,
): void {
  for (const def of defs) {
    if (def === undefined) continue;
    const agent = managingAgent(section, def);
    if (agent !== undefined) throw remotelyManaged(agent, def.name);
  }
}
