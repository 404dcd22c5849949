/**
 * Local checks as the composition root (agent.ts) lists them: their methods,
 * with ./module.ts (the scheduler, the command runner, the importers) loaded on
 * first use or when a check is defined (issue #17).
 */
import { checksContract } from '../contract/checks.ts';
import { methodsOf, type LazyAgentModule } from '../modules.ts';
import { pandoraSeed } from '../protocols/pandora/seed.ts';
import { readChecksSection } from './store.ts';

export const checksEntry: LazyAgentModule = {
  name: 'checks',
  methods: methodsOf(checksContract),
  kinds: [],
  // A pandora_agent.conf imported at first start (PANDORA_CONF): the import is this module's.
  seed: pandoraSeed,
  inUse: (ctx) => {
    const section = readChecksSection(ctx.settings);
    return section.definitions.length > 0 || section.pandoraAgents.some((a) => a.remoteConfig);
  },
  load: async () => (await import('./module.ts')).checksModule,
};
