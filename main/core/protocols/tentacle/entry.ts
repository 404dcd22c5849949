/**
 * The Tentacle module as the composition root (agent.ts) lists it: its methods
 * and target kind, with ./index.ts (the module's code) loaded on first use
 * (issue #17).
 */
import { tentacleContract, tentacleTargetConfigSchema } from '../../contract/tentacle.ts';
import { methodsOf, type LazyAgentModule } from '../../modules.ts';
import { tentacleSeed } from './seed.ts';

export const tentacleEntry: LazyAgentModule = {
  name: 'tentacle',
  methods: methodsOf(tentacleContract),
  kinds: [{ kind: 'tentacle', configSchema: tentacleTargetConfigSchema }],
  seed: tentacleSeed,
  load: async () => (await import('./index.ts')).tentacleModule,
};
