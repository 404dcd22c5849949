/**
 * The OnSphere remote connector module (issue #7): pairing (identity import,
 * dispatcher, broker), values through the queue or at once, status, and under
 * `outpost run` one live connector per paired target (AMQP session, request
 * consumer, metrics endpoint). See README.md.
 */
import type { AgentHandlers } from '../../contract/index.ts';
import { inBackground } from '../../background.ts';
import type { AgentContext } from '../../context.ts';
import {
  ONSPHERE_DISPATCHER_PORT,
  type OnsphereIdentityInfo,
  type OnsphereStatus,
} from '../../contract/onsphere.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { AgentModule } from '../../modules.ts';
import type { ValuePayload } from '../../contract/queue-items.ts';
import type { TargetRecord } from '../../contract/targets.ts';
import { assertTargetName } from '../../targets/registry.ts';
import { validateValue } from './codec.ts';
import { ConnectorPool, OnsphereConnector } from './client.ts';
import { dispatcherEndpoint, onsphereTargetConfigSchema } from './config.ts';
import {
  dispatcherFromEnv,
  fetchConfig,
  readStoredConfig,
  storeConfig,
  type DispatcherEndpoint,
} from './dispatcher.ts';
import { createOnsphereDriver } from './driver.ts';
import { checkIdentity, importIdentity, loadIdentity, readIdentityFiles } from './identity.ts';
import { type IdentitySummary } from '../../contract/onsphere.ts';
import { OspSession } from './session.ts';

/** How long pairing and `publish --now` wait for the broker. */
const BROKER_READY_MS = 30_000;
/** How long `status --probe` waits. */
const STATUS_PROBE_MS = 10_000;
/** The daemon retries a connector that could not start (no config yet, dispatcher refusing…) this often at most. */
const START_RETRY_MAX_MS = 5 * 60_000;

export const onsphereModule: AgentModule = {
  name: 'onsphere',
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
          new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else signal.addEventListener('abort', () => resolve(), { once: true });
          }),
        ]);
        running = false;
        await pool.stopAll();
        await pool.setOptions({});
      },
      close: () => pool.stopAll(),
    };
  },
};

/** Starts a target's connector, retrying with a capped backoff until it starts or the daemon stops. */
async function keepStarted(
  ctx: AgentContext,
  pool: ConnectorPool,
  record: TargetRecord,
  signal: AbortSignal,
): Promise<void> {
  let delay = 5_000;
  while (!signal.aborted) {
    try {
      await pool.get(record);
      return;
    } catch (error) {
      ctx.log.warn('OnSphere connector could not start', {
        target: record.name,
        error: toAgentError(error).message,
        retryInSeconds: delay / 1000,
      });
      ctx.events.emit('target.state', {
        target: record.name,
        status: { state: 'failed', lastError: toAgentError(error).message },
      });
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    delay = Math.min(START_RETRY_MAX_MS, delay * 2);
  }
}

function identityInfo(s: IdentitySummary): OnsphereIdentityInfo {
  return {
    cn: s.cn,
    issuer: s.issuer,
    notBefore: s.notBefore,
    notAfter: s.notAfter,
    daysLeft: s.daysLeft,
    expiresSoon: s.expiresSoon,
    certFingerprint: s.certFingerprint,
    caSubject: s.caSubject,
    caFingerprint: s.caFingerprint,
  };
}

function onsphereTarget(ctx: AgentContext, name: string, field = 'name'): TargetRecord {
  const record = ctx.targets.get(name, field);
  if (record.kind !== 'onsphere') {
    throw new AgentError(
      'invalid-request',
      `target '${name}' is a ${record.kind} target, not an OnSphere one`,
      { field },
    );
  }
  return record;
}

/** The dispatcher a pairing request left out: DISPATCHER_HOST / DISPATCHER_PORT (§2.2), as the seed reads them. */
function dispatcherOfEnvironment(): DispatcherEndpoint {
  const env = dispatcherFromEnv();
  if (env.host === undefined)
    throw new AgentError(
      'invalid-request',
      'dispatcher: HOST[:PORT] is required (or set DISPATCHER_HOST)',
      { field: 'dispatcher' },
    );
  return { host: env.host, port: env.port ?? ONSPHERE_DISPATCHER_PORT };
}

export function createOnsphereHandlers(
  ctx: AgentContext,
  pool: ConnectorPool,
  running: () => boolean,
): Partial<AgentHandlers> {
  const log = ctx.log.child('onsphere');
  return {
    async pairOnsphere(request) {
      assertTargetName(request.name);
      const endpoint = request.dispatcher ?? dispatcherOfEnvironment();
      const existing = ctx.targets.find(request.name);
      if (existing !== undefined && existing.kind !== 'onsphere') {
        throw new AgentError(
          'conflict',
          `target '${request.name}' is already a ${existing.kind} target: remove it first or pick another name`,
          { field: 'name' },
        );
      }
      if (existing !== undefined && !request.replace)
        throw new AgentError('conflict', `target '${request.name}' already exists`, {
          field: 'name',
        });
      let current = 'identity';
      const step = (name: string, status: 'running' | 'done' | 'failed', detail?: string): void => {
        current = name;
        ctx.events.emit('pairing.step', {
          target: request.name,
          kind: 'onsphere',
          step: name,
          status,
          ...(detail === undefined ? {} : { detail }),
        });
      };
      const warnings: string[] = [];
      try {
        step('identity', 'running', 'checking ca.crt, module.crt and module.key');
        const files = await readIdentityFiles({
          ca: request.caFile,
          cert: request.certFile,
          key: request.keyFile,
        });
        const summary = checkIdentity(files, files.names);
        if (summary.expiresSoon)
          warnings.push(
            `module.crt expires on ${summary.notAfter} (${summary.daysLeft} days): ask the stack's admin for a new one`,
          );
        step(
          'identity',
          'done',
          `CN ${summary.cn}, issued by ${summary.issuer}, SHA-256 ${summary.certFingerprint}, valid until ${summary.notAfter} (${summary.daysLeft} days)`,
        );

        step(
          'dispatcher',
          'running',
          `GET /v1/connectors/${summary.cn}/config from ${endpoint.host}:${endpoint.port} (TLS 1.3, client certificate)`,
        );
        const outcome = await fetchConfig(endpoint, files, {
          name: summary.cn,
          userAgent: `outpost/${ctx.version}`,
        });
        if (outcome.status !== 'changed')
          throw new AgentError('protocol', 'the dispatcher answered 304 to a first request');
        const config = outcome.config;
        if (config.module.name !== summary.cn) {
          throw new AgentError(
            'protocol',
            `the dispatcher sent the config of '${config.module.name}', not of '${summary.cn}' (our certificate CN)`,
          );
        }
        step(
          'dispatcher',
          'done',
          `config ${config.version} for ${config.module.kind} '${config.module.name}'`,
        );

        const first = config.amqp.hosts[0]!;
        step(
          'broker',
          'running',
          `AMQP over TLS to ${first.host}:${first.port}, vhost '${config.amqp.vhost}', SASL EXTERNAL`,
        );
        const session = new OspSession({
          config,
          identity: files,
          agentVersion: ctx.version,
          log,
          backoff: () => 60_000,
        });
        session.start();
        try {
          await session.ready(BROKER_READY_MS);
        } finally {
          await session.close();
        }
        step(
          'broker',
          'done',
          `connected; exchanges ${config.amqp.exchanges.values}, ${config.amqp.exchanges.requests}, ${config.amqp.exchanges.config} present; own queues declared`,
        );

        step('save', 'running');
        const stored = await importIdentity(ctx, request.name, files, files.names);
        await storeConfig(ctx, request.name, config);
        ctx.targets.save(request.name, 'onsphere', {
          host: endpoint.host,
          port: endpoint.port,
          caFile: stored.files.caPath,
          certFile: stored.files.certPath,
          keyFile: stored.files.keyPath,
          cn: summary.cn,
          ...(request.metricsPort === undefined ? {} : { metricsPort: request.metricsPort }),
          ...(request.metricsHost === undefined ? {} : { metricsHost: request.metricsHost }),
        });
        step('save', 'done', `target '${request.name}' saved; key stored 0600`);
        log.info('OnSphere connector paired', {
          target: request.name,
          cn: summary.cn,
          version: config.version,
        });
        // A running daemon picks the new identity and config up at once.
        if (running()) {
          await pool.stop(request.name);
          const record = ctx.targets.get(request.name);
          inBackground(log, 'OnSphere connector start', () =>
            keepStarted(ctx, pool, record, new AbortController().signal),
          );
        }
        return {
          target: request.name,
          identity: identityInfo(summary),
          dispatcher: endpoint,
          config: {
            version: config.version,
            module: config.module.name,
            kind: config.module.kind,
            vhost: config.amqp.vhost,
            brokers: config.amqp.hosts.map((h) => `${h.host}:${h.port}`),
          },
          broker: { host: first.host, port: first.port, connected: true },
          warnings,
        };
      } catch (error) {
        const e = toAgentError(error);
        step(current, 'failed', e.message);
        throw e;
      }
    },

    async publishOnsphere(request) {
      const record = onsphereTarget(ctx, request.target, 'target');
      const value: ValuePayload = {
        valueId: request.valueId,
        value: request.value,
        timestamp: request.timestamp ?? Date.now(),
        ...(request.quality === undefined ? {} : { quality: request.quality }),
      };
      validateValue(value, onsphereTargetConfigSchema.parse(record.config).cn ?? record.name);
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
      const config = onsphereTargetConfigSchema.parse(record.config);
      const warnings: string[] = [];
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
          warnings.push(`module.crt expires on ${summary.notAfter} (${summary.daysLeft} days)`);
      } catch (error) {
        warnings.push(toAgentError(error).message);
      }
      let connector = pool.started(name);
      let temporary: OnsphereConnector | undefined;
      if (connector === undefined && probe && out.identity !== undefined) {
        temporary = new OnsphereConnector(ctx, record);
        try {
          await temporary.start();
          await temporary.session!.ready(STATUS_PROBE_MS);
        } catch (error) {
          warnings.push(toAgentError(error).message);
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
