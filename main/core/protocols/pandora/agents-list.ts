/** The Pandora agent definitions as the UIs list them: no Tentacle code needed to read them. */
import type { AgentContext } from '../../context.ts';
import type { PandoraAgentSummary } from '../../contract/pandora-agents.ts';
import { readChecksSection } from '../../checks/store.ts';
import { confKey, md5Hex } from './conf-key.ts';
import { readLocalConf } from './conf-store.ts';

export async function listPandoraAgents(ctx: AgentContext): Promise<PandoraAgentSummary[]> {
  const section = readChecksSection(ctx.settings);
  return Promise.all(
    section.pandoraAgents.map(async (definition) => {
      const local = await readLocalConf(ctx, definition.name);
      return {
        definition,
        key: confKey(definition.agentName),
        confMd5: local === undefined ? undefined : md5Hex(local),
        checks: section.definitions
          .filter((d) => d.pandoraAgent === definition.name)
          .map((d) => d.name),
      };
    }),
  );
}
