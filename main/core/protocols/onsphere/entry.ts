/**
 * The OnSphere module as the composition root (agent.ts) lists it: its methods
 * and target kind, with ./index.ts (the module's code: AMQP, metrics) loaded on
 * first use (issue #17).
 */
import { onsphereContract } from '../../contract/onsphere.ts';
import { methodsOf, type LazyAgentModule } from '../../modules.ts';
import { onsphereTargetConfigSchema } from './config.ts';
import { onsphereSeed } from './seed.ts';

export const onsphereEntry: LazyAgentModule = {
  name: 'onsphere',
  methods: methodsOf(onsphereContract),
  kinds: [{ kind: 'onsphere', configSchema: onsphereTargetConfigSchema }],
  seed: onsphereSeed,
  load: async () => (await import('./index.ts')).onsphereModule,
};
