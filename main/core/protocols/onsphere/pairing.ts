/**
 * The OnSphere remote connector module (issue #7): pairing (identity import,
 * dispatcher, broker), values through the queue or at once, status, and under
 * `outpost run` one live connector per paired target (AMQP session, request
 * consumer, metrics endpoint). See README.md.
 */
import type { AgentHandlers } from '../../contract/index.ts';
import type { AgentContext } from '../../context.ts';
import type { OnsphereIdentityInfo, OnspherePairResult } from '../../contract/onsphere.ts';
import { ONSPHERE_DISPATCHER_PORT } from '../../contract/ports.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import { assertTargetName } from '../../targets/registry.ts';
import { fetchConfig, storeConfig } from './dispatcher.ts';
import { dispatcherFromEnv, type DispatcherEndpoint } from './config.ts';
import { checkIdentity, importIdentity, readIdentityFiles } from './identity.ts';
import { type IdentitySummary } from '../../contract/onsphere.ts';
import { OspSession } from './session.ts';
import type { AgentWarning } from '../../contract/warnings.ts';

/** How long pairing waits for the broker. */
const BROKER_READY_MS = 30_000;

export function identityInfo(s: IdentitySummary): OnsphereIdentityInfo {
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

/**
 * From three files and a dispatcher address to a paired target (§2–§4): the
 * identity is checked and stored, the configuration fetched, the broker joined
 * once; each step is a `pairing.step` event. Nothing is left half-configured.
 */
export async function pairOnsphere(
  ctx: AgentContext,
  request: Parameters<AgentHandlers['pairOnsphere']>[0],
  /** A running daemon picks the new identity and config up at once. */
  afterSave: (name: string) => Promise<void>,
): Promise<OnspherePairResult> {
  const log = ctx.log.child('onsphere');
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
  const warnings: AgentWarning[] = [];
  try {
    step('identity', 'running', 'checking ca.crt, module.crt and module.key');
    const files = await readIdentityFiles({
      ca: request.caFile,
      cert: request.certFile,
      key: request.keyFile,
    });
    const summary = checkIdentity(files, files.names);
    if (summary.expiresSoon)
      warnings.push({
        code: 'certificate-expiring',
        message: `module.crt expires on ${summary.notAfter} (${summary.daysLeft} days): ask the stack's admin for a new one`,
      });
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
    await afterSave(request.name);
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
}
