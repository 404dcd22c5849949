import type { AgentModule } from '../../../main/core/modules.ts';
import type { EnqueueRequest } from '../../../main/core/contract/queue-items.ts';
import { ackConfigSchema } from '../../core/queue/ack-driver.ts';
import { fakeDriver, fakeModule } from '../../fake-driver.ts';

/** A driver that acknowledges at once: measures the queue's own cost per item. */
export function instantModule(): AgentModule {
  return fakeModule(
    fakeDriver({
      kind: 'instant',
      configSchema: ackConfigSchema,
      accepts: ['check-result', 'value'],
      window: 256,
      deliver: async () => undefined,
    }),
  );
}

/** A realistic check result: 500 hosts × 7 services, perfdata, ~150 bytes. */
export const benchResult = (i: number): EnqueueRequest => ({
  kind: 'check-result',
  targets: ['t'],
  result: {
    host: `host${i % 500}`,
    service: `svc${i % 7}`,
    state: i % 4,
    output: `OK - value ${i}`,
    performanceData: [`v=${i};10;20`],
    executionStart: 1,
    executionEnd: 2,
  },
});
