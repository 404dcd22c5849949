/**
 * The Gorgone module as the composition root (agent.ts) lists it: its methods
 * and target kind, with ./index.ts (the module's code: ZeroMQ's native addon)
 * loaded on first use (issue #17).
 */
import { gorgoneContract } from '../../contract/gorgone.ts';
import { methodsOf, type LazyAgentModule } from '../../modules.ts';
import { gorgoneTargetConfigSchema, readGorgoneSettings } from './config.ts';
import { gorgoneSeed } from './seed.ts';

export const gorgoneEntry: LazyAgentModule = {
  name: 'gorgone',
  methods: methodsOf(gorgoneContract),
  kinds: [{ kind: 'gorgone', configSchema: gorgoneTargetConfigSchema }],
  // The push-mode listener runs without any paired central.
  inUse: (ctx) =>
    ctx.targets.list().some((t) => t.kind === 'gorgone') ||
    readGorgoneSettings(ctx.settings).listener.enabled,
  seed: gorgoneSeed,
  load: async () => (await import('./index.ts')).gorgoneModule,
};
