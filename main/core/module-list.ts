import { checksModule } from './checks/module.ts';
import type { AgentModule } from './modules.ts';
import { gorgoneModule } from './protocols/gorgone/index.ts';
import { icingaModule } from './protocols/icinga/index.ts';
import { onsphereModule } from './protocols/onsphere/index.ts';
import { tentacleModule } from './protocols/tentacle/index.ts';

/** Every module of the agent, in start order. Each protocol's issue adds its own line. */
export const AGENT_MODULES: readonly AgentModule[] = [
  icingaModule,
  tentacleModule,
  onsphereModule,
  checksModule,
  gorgoneModule,
];
