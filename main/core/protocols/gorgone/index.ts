/**
 * Centreon Gorgone (issue #6): pull-mode node, push-mode node (listener) and
 * controller over ZeroMQ, with pinned server keys. See README.md.
 */
import type { AgentModule } from '../../modules.ts';
import type { TargetDriver } from '../../targets/driver.ts';
import { GorgoneRuntime } from './client.ts';
import { createGorgoneDriver } from './driver.ts';
import { createGorgoneHandlers } from './handlers.ts';

export function createGorgoneModule(): AgentModule {
  const driver = createGorgoneDriver();
  let runtime: GorgoneRuntime | undefined;
  return {
    name: 'gorgone',
    drivers: [driver as unknown as TargetDriver<never>],
    createHandlers(ctx) {
      runtime = new GorgoneRuntime(ctx);
      driver.attach(ctx, runtime);
      return createGorgoneHandlers(ctx);
    },
    run: (ctx, signal) => (runtime ??= new GorgoneRuntime(ctx)).run(signal),
  };
}

/** The module as AGENT_MODULES lists it. */
export const gorgoneModule: AgentModule = createGorgoneModule();
