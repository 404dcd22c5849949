/**
 * The queue's view of OnSphere targets (TargetDriver): values and check
 * results (one value per status and per perfdata label, as issue #10 names
 * them), pipelined up to the publish window (onsphere.md §4.6). `deliver`
 * resolves only on the broker's publisher confirm; an unroutable value is a
 * permanent failure with its reason (§4.6: the broker acks it but nobody
 * will ever read it).
 */
import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { QueueItem, ValuePayload } from '../../contract/queue-items.ts';
import type { DeliveryContext, TargetDriver } from '../../targets/driver.ts';
import type { TargetRecord, TargetStatus } from '../../contract/targets.ts';
import { checkResultValues, validateValue } from './codec.ts';
import type { ConnectorPool } from './connector.ts';
import { onsphereTargetConfigSchema, type OnsphereTargetConfig } from './config.ts';
import { DEFAULT_PUBLISH_WINDOW } from './session.ts';
import { deliverOnsphereCheckResult } from './check-results.ts';

/** The values an item carries. */
export function itemValues(item: Pick<QueueItem, 'payload'>): ValuePayload[] {
  switch (item.payload.kind) {
    case 'value':
      return [item.payload.value];
    case 'check-result':
      return checkResultValues(item.payload.result);
    default:
      throw new AgentError(
        'invalid-request',
        `OnSphere targets take values and check results, not ${item.payload.kind} items`,
        { field: 'kind' },
      );
  }
}

export function createOnsphereDriver(pool: ConnectorPool): TargetDriver<OnsphereTargetConfig> {
  return {
    kind: 'onsphere',
    configSchema: onsphereTargetConfigSchema,
    accepts: ['value', 'check-result'],
    window: DEFAULT_PUBLISH_WINDOW,

    checkNaming: ['valueId'],
    deliverCheckResult: (target, delivery) => deliverOnsphereCheckResult(target, delivery),

    validate(target, item) {
      for (const value of itemValues(item)) validateValue(value, target.config.cn ?? target.name);
    },

    async deliver(
      target: TargetRecord<OnsphereTargetConfig>,
      item: QueueItem,
      delivery: DeliveryContext,
    ): Promise<void> {
      const values = itemValues(item);
      let outcomes;
      try {
        const connector = await pool.get(target);
        outcomes = await connector.publishItemValues(item.id, values, delivery.signal);
      } catch (error) {
        throw toAgentError(error);
      }
      const unroutable = values
        .filter((_, i) => outcomes[i] === 'unroutable')
        .map((v) => v.valueId);
      if (unroutable.length > 0) {
        throw new AgentError(
          'refused',
          `the OnSphere broker could not route ${unroutable.join(', ')} (312 NO_ROUTE: no module subscribes to these values): check the value ids with the stack's admin`,
          { transient: false },
        );
      }
      delivery.progress(values.length);
    },

    status(target): TargetStatus {
      const status = pool.started(target.name)?.status();
      if (status === undefined) return { state: 'idle' };
      const state =
        status.state === 'ready'
          ? 'ready'
          : status.state === 'needs-attention'
            ? 'failed'
            : status.state === 'backoff'
              ? 'retrying'
              : status.state === 'connecting'
                ? 'connecting'
                : 'idle';
      const detail = [
        status.detail,
        status.configStale
          ? `config ${status.configVersion ?? ''} is the last-known-good one (dispatcher unreachable)`
          : undefined,
      ]
        .filter((d) => d !== undefined)
        .join('; ');
      return { state, ...(detail === '' ? {} : { detail }) };
    },
  };
}
