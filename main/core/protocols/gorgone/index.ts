/**
 * Centreon Gorgone (issue #6): pull-mode node, push-mode node (listener) and
 * controller over ZeroMQ, with pinned server keys. See README.md.
 */
import type { AgentModule } from '../../modules.ts';
import { GorgoneRuntime } from './runtime.ts';
import { createGorgoneDriver } from './driver.ts';
import { createGorgoneHandlers } from './handlers.ts';
import { gorgoneSeed } from './seed.ts';

export const gorgoneModule: AgentModule = {
  name: 'gorgone',
  seed: gorgoneSeed,
  create(ctx) {
    const runtime = new GorgoneRuntime(ctx);
    return {
      handlers: createGorgoneHandlers(ctx),
      drivers: [createGorgoneDriver(ctx, runtime)],
      run: (signal) => runtime.run(signal),
    };
  },
};
