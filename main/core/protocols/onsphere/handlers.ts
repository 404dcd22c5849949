/**
 * The OnSphere remote connector module (issue #7): pairing (identity import,
 * dispatcher, broker), values through the queue or at once, status, and under
 * `outpost run` one live connector per paired target (AMQP session, request
 * consumer, metrics endpoint). See README.md.
 */
import type { AgentHandlers } from '../../contract/index.ts';
import { inBackground } from '../../background.ts';
import type { AgentContext } from '../../context.ts';
import type { OnsphereStatus } from '../../contract/onsphere.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { ValuePayload } from '../../contract/queue-items.ts';
import type { TargetRecord } from '../../contract/targets.ts';
import { validateValue } from './codec.ts';
import { ConnectorPool, keepStarted, OnsphereConnector } from './connector.ts';
import { dispatcherEndpoint, type OnsphereTargetConfig } from './config.ts';
import { readStoredConfig } from './dispatcher.ts';
import { checkIdentity, loadIdentity } from './identity.ts';
import type { AgentWarning } from '../../contract/warnings.ts';
import { identityInfo, pairOnsphere } from './pairing.ts';

/** How long `publish --now` waits for the broker. */
const BROKER_READY_MS = 30_000;
/** How long `status --probe` waits. */
const STATUS_PROBE_MS = 10_000;

/** The target with its config read through the driver's schema (onsphereTargetConfigSchema). */
function onsphereTarget(
  ctx: AgentContext,
  name: string,
  field = 'name',
): TargetRecord<OnsphereTargetConfig> {
  return ctx.targets.getOfKind<OnsphereTargetConfig>(name, 'onsphere', field);
}

export function createOnsphereHandlers(
  ctx: AgentContext,
  pool: ConnectorPool,
  running: () => boolean,
): Partial<AgentHandlers> {
  const log = ctx.log.child('onsphere');
  return {
    pairOnsphere: (request) =>
      pairOnsphere(ctx, request, async (name) => {
        // A running daemon picks the new identity and config up at once.
        if (running()) {
          await pool.stop(name);
          const record = ctx.targets.get(name);
          inBackground(log, 'OnSphere connector start', () =>
            keepStarted(ctx, pool, record, new AbortController().signal),
          );
        }
      }),

    async publishOnsphere(request) {
      const record = onsphereTarget(ctx, request.target, 'target');
      const value: ValuePayload = {
        valueId: request.valueId,
        value: request.value,
        timestamp: request.timestamp ?? Date.now(),
        ...(request.quality === undefined ? {} : { quality: request.quality }),
      };
      validateValue(value, record.config.cn ?? record.name);
      if (!request.now) {
        const items = await ctx.queue.enqueue({ kind: 'value', targets: [record.name], value });
        return {
          target: record.name,
          valueId: value.valueId,
          outcome: 'queued',
          itemIds: items.map((i) => i.id),
        };
      }
      const live = pool.started(record.name);
      const connector = live ?? new OnsphereConnector(ctx, record);
      try {
        if (live === undefined) await connector.start();
        await connector.session!.ready(BROKER_READY_MS);
        const outcome = await connector.publishValue(value, {
          signal: AbortSignal.timeout(BROKER_READY_MS),
        });
        if (outcome === 'unroutable') {
          throw new AgentError(
            'refused',
            `the OnSphere broker could not route '${value.valueId}' (312 NO_ROUTE: no module subscribes to it)`,
            { transient: false },
          );
        }
        return { target: record.name, valueId: value.valueId, outcome: 'confirmed', itemIds: [] };
      } finally {
        if (live === undefined) await connector.stop();
      }
    },

    async getOnsphereStatus({ name, probe }) {
      const record = onsphereTarget(ctx, name);
      const { config } = record;
      const warnings: AgentWarning[] = [];
      const out: OnsphereStatus = {
        target: name,
        dispatcher: dispatcherEndpoint(config),
        session: { state: 'not running in this process', pending: 0 },
        warnings,
      };
      try {
        const summary = checkIdentity(await loadIdentity(ctx, name));
        out.identity = identityInfo(summary);
        if (summary.expiresSoon)
          warnings.push({
            code: 'certificate-expiring',
            message: `module.crt expires on ${summary.notAfter} (${summary.daysLeft} days)`,
          });
      } catch (error) {
        warnings.push({ code: 'unavailable', message: toAgentError(error).message });
      }
      let connector = pool.started(name);
      let temporary: OnsphereConnector | undefined;
      if (connector === undefined && probe && out.identity !== undefined) {
        temporary = new OnsphereConnector(ctx, record);
        try {
          await temporary.start();
          await temporary.session!.ready(STATUS_PROBE_MS);
        } catch (error) {
          warnings.push({ code: 'unavailable', message: toAgentError(error).message });
        }
        connector = temporary;
      }
      try {
        const stored = await readStoredConfig(ctx, name);
        const live = connector?.current;
        if (stored !== undefined) {
          out.config = {
            version: stored.config.version,
            fetchedAt: stored.fetchedAt,
            stale: live?.stale ?? false,
            ...(live?.staleReason === undefined ? {} : { staleReason: live.staleReason }),
            module: stored.config.module.name,
            vhost: stored.config.amqp.vhost,
            brokers: stored.config.amqp.hosts.map((h) => `${h.host}:${h.port}`),
          };
        }
        if (connector !== undefined) {
          const s = connector.status();
          out.session = {
            state: s.state,
            ...(s.detail === undefined ? {} : { detail: s.detail }),
            pending: s.pending,
          };
          if (s.metrics !== undefined) out.metrics = s.metrics;
        }
      } finally {
        await temporary?.stop();
      }
      return out;
    },
  };
}
