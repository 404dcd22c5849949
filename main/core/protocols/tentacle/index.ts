/**
 * The Pandora FMS Tentacle module (issue #4): immediate send/get, saved
 * targets, the queue driver and the outbox folders. See README.md.
 */
import type { AgentModule } from '../../modules.ts';
import { createTentacleDriver } from './driver.ts';
import { createTentacleHandlers } from './handlers.ts';
import { runOutboxes } from './outbox.ts';
import { tentacleSeed } from './seed.ts';

export const tentacleModule: AgentModule = {
  name: 'tentacle',
  seed: tentacleSeed,
  create: (ctx) => ({
    handlers: createTentacleHandlers(ctx),
    drivers: [createTentacleDriver(ctx)],
    run: (signal) => runOutboxes(ctx, signal),
  }),
};
