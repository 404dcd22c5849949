import type { AgentModule, ModuleInstance } from '../../../main/core/modules.ts';
import { createToyDriver } from './driver.ts';
import { pairToy } from './pairing.ts';
import { toySeed } from './seed.ts';

export interface ToyModuleInstance extends ModuleInstance {
  /** Pairing is the module's own call: the toy adds no method to the contract. */
  pair(name: string, host: string, port: number): Promise<{ key: string }>;
}

export const toyModule: AgentModule<ToyModuleInstance> = {
  name: 'toy',
  seed: toySeed,
  create: (ctx) => ({
    drivers: [createToyDriver(ctx)],
    pair: (name, host, port) => pairToy(ctx, name, host, port),
  }),
};
