/**
 * The OnSphere remote connector module (issue #7): pairing (identity import,
 * dispatcher, broker), values through the queue or at once, status, and under
 * `outpost run` one live connector per paired target (AMQP session, request
 * consumer, metrics endpoint). See README.md.
 */
import { untilAborted } from '../../abort.ts';
import type { AgentModule } from '../../modules.ts';
import { ConnectorPool, keepStarted } from './connector.ts';
import { createOnsphereDriver } from './driver.ts';
import { createOnsphereHandlers } from './handlers.ts';
import { onsphereSeed } from './seed.ts';

export const onsphereModule: AgentModule = {
  name: 'onsphere',
  seed: onsphereSeed,
  create(ctx) {
    const pool = new ConnectorPool(ctx);
    let running = false;
    return {
      handlers: createOnsphereHandlers(ctx, pool, () => running),
      drivers: [createOnsphereDriver(pool)],
      async run(signal) {
        running = true;
        // Set before any await: the queue's scheduler starts delivering (pool.get) at the same moment.
        await pool.setOptions({ metrics: true, requests: true, notices: true });
        const records = ctx.targets.list().filter((t) => t.kind === 'onsphere' && !t.paused);
        await Promise.all([
          ...records.map((record) => keepStarted(ctx, pool, record, signal)),
          untilAborted(signal),
        ]);
        running = false;
        await pool.stopAll();
        await pool.setOptions({});
      },
      close: () => pool.stopAll(),
    };
  },
};
