import { AgentError } from '../../contract/errors.ts';
import type { QueueItem } from '../../contract/queue-items.ts';
import type { DeliveryContext, TargetDriver } from '../../targets/driver.ts';
import type { TargetRecord } from '../../contract/targets.ts';
import { deliverIcingaCheckResult } from './check-results.ts';
import type { IcingaClient } from './session-pool.ts';
import { describeMasters, icingaTargetConfigSchema, type IcingaTargetConfig } from './config.ts';
import { normalizeFingerprint } from '../../identity/x509.ts';
import { pinsOfMasters } from './pairing.ts';

/**
 * Results pipelined over the ONE connection (§2.5 step 5); each is confirmed
 * by the master's answer to its id, so many may be in flight at once.
 */
export const ICINGA_WINDOW = 2048;

/** The queue's view of Icinga targets, delivering through the agent's Icinga sessions. */
export function createIcingaDriver(client: IcingaClient): TargetDriver<IcingaTargetConfig> {
  return {
    kind: 'icinga',
    configSchema: icingaTargetConfigSchema,
    accepts: ['check-result'],
    window: ICINGA_WINDOW,
    async deliver(
      target: TargetRecord<IcingaTargetConfig>,
      item: QueueItem,
      ctx: DeliveryContext,
    ): Promise<void> {
      if (item.payload.kind !== 'check-result') {
        throw new AgentError(
          'refused',
          `Icinga targets take check results only, not ${item.payload.kind} items`,
        );
      }
      await client.deliverCheckResult(target, item.payload.result, ctx.signal);
    },
    validate(_target, item) {
      if (item.payload.kind !== 'check-result') {
        throw new AgentError(
          'invalid-request',
          `Icinga targets take check results only, not ${item.payload.kind} items`,
          { field: 'kind' },
        );
      }
    },
    status(target) {
      return client.status(target);
    },
    // Every master of the parent zone has its own pinned leaf (issue #18); the
    // identity store keeps the first one's, written when they were all pinned.
    pins(target, stored) {
      const config = icingaTargetConfigSchema.safeParse(target.config);
      // An unreadable config is reported where it is used; the identity page still shows the stored pin.
      if (!config.success) return stored === undefined ? [] : [stored];
      const { masters } = config.data;
      const pins = pinsOfMasters(masters, stored);
      return masters.flatMap((master, i) => {
        const pin = pins[i];
        if (pin === undefined) return [];
        return [
          {
            target: target.name,
            peer: describeMasters([master]),
            kind: 'tls-sha256' as const,
            value: normalizeFingerprint(pin),
            pinnedAt: stored?.pinnedAt ?? target.createdAt,
          },
        ];
      });
    },
    checkNaming: ['host', 'service'],
    deliverCheckResult: (target, delivery) => deliverIcingaCheckResult(target, delivery),
  };
}
