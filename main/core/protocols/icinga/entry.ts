/**
 * The Icinga 2 module as the composition root (agent.ts) lists it: its methods
 * and target kind, with ./index.ts (the module's code) loaded on first use
 * (issue #17).
 */
import { icingaContract } from '../../contract/icinga.ts';
import { methodsOf, type LazyAgentModule } from '../../modules.ts';
import { icingaTargetConfigSchema } from './config.ts';
import { icingaSeed } from './seed.ts';

export const icingaEntry: LazyAgentModule = {
  name: 'icinga',
  methods: methodsOf(icingaContract),
  kinds: [{ kind: 'icinga', configSchema: icingaTargetConfigSchema }],
  seed: icingaSeed,
  load: async () => (await import('./index.ts')).icingaModule,
};
