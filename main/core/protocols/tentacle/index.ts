/**
 * The Pandora FMS Tentacle module (issue #4): immediate send/get, saved
 * targets, the queue driver and the outbox folders. See README.md.
 */
import type { AgentModule } from '../../modules.ts';
import type { TargetDriver } from '../../targets/driver.ts';
import { createTentacleDriver } from './driver.ts';
import { createTentacleHandlers } from './handlers.ts';
import { runOutboxes } from './outbox.ts';

export function createTentacleModule(): AgentModule {
  const driver = createTentacleDriver();
  return {
    name: 'tentacle',
    // The registry stores drivers of every config type side by side (TargetDriver<never>).
    drivers: [driver as unknown as TargetDriver<never>],
    createHandlers(ctx) {
      driver.attach(ctx);
      return createTentacleHandlers(ctx);
    },
    run: (ctx, signal) => runOutboxes(ctx, signal),
  };
}

/** The module as AGENT_MODULES lists it. */
export const tentacleModule: AgentModule = createTentacleModule();
