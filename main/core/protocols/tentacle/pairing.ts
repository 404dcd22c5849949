/**
 * Tentacle has no handshake to pair with: a target is a saved connection whose
 * certificate and key files are read now (not at the first delivery) and whose
 * secrets go to the SecretStore; `testTentacleTarget` connects, authenticates
 * and QUITs (tentacle.md §2, §8, §9).
 */
import { resolve } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { toAgentError } from '../../contract/errors.ts';
import type { AgentHandlers } from '../../contract/index.ts';
import type { TentacleTargetInfo, TentacleTestResult } from '../../contract/tentacle.ts';
import { isSecurityWarning } from '../../contract/warnings.ts';
import { targetSecretName } from '../../secrets.ts';
import {
  absolute,
  checkConnection,
  clientOptions,
  connectionWarnings,
  readTargetSecrets,
  resolveWhere,
  SECRET_KEYS,
  tentacleTargetConfigSchema,
  type TentacleSecrets,
} from './config.ts';
import { TentacleClient, tlsInfo } from './transfer.ts';

const log = (ctx: AgentContext) => ctx.log.child('tentacle');

export async function addTentacleTarget(
  ctx: AgentContext,
  request: Parameters<AgentHandlers['addTentacleTarget']>[0],
): Promise<TentacleTargetInfo> {
  const connection = absolute(request.connection);
  const secrets: TentacleSecrets = {
    password: request.password,
    keyPassphrase: request.keyPassphrase,
    proxyPassword: request.proxyPassword,
  };
  checkConnection(connection, secrets);
  // Fail now, not at the first delivery, if a PEM file cannot be read.
  await clientOptions(connection, secrets);
  const config = {
    ...connection,
    ...(request.outbox === undefined
      ? {}
      : { outbox: { ...request.outbox, dir: resolve(request.outbox.dir) } }),
  };
  ctx.targets.save(request.name, 'tentacle', config, { replace: request.replace });
  for (const [key, value] of Object.entries(secrets) as Array<
    [keyof TentacleSecrets, string | undefined]
  >) {
    if (value !== undefined)
      await ctx.secrets.set(targetSecretName(request.name, SECRET_KEYS[key]), value);
  }
  const stored = await readTargetSecrets(ctx, request.name);
  const warnings = connectionWarnings(connection, stored);
  log(ctx).info('tentacle target saved', {
    target: request.name,
    host: connection.host,
    port: connection.port,
    tls: connection.tls,
  });
  for (const warning of warnings.filter(isSecurityWarning))
    log(ctx).warn(warning.message, { target: request.name });
  return {
    name: request.name,
    config: tentacleTargetConfigSchema.parse(ctx.targets.get(request.name).config),
    secrets: {
      password: stored.password !== undefined,
      keyPassphrase: stored.keyPassphrase !== undefined,
      proxyPassword: stored.proxyPassword !== undefined,
    },
    warnings,
  };
}

export async function testTentacleTarget(
  ctx: AgentContext,
  name: string,
): Promise<TentacleTestResult> {
  const { connection, secrets } = await resolveWhere(ctx, { target: name });
  const warnings = connectionWarnings(connection, secrets);
  try {
    const client = await TentacleClient.connect(await clientOptions(connection, secrets));
    const tls = tlsInfo(client);
    await client.quit();
    return { name, ok: true, warnings, ...(tls === undefined ? {} : { tls }) };
  } catch (error) {
    const e = toAgentError(error);
    return {
      name,
      ok: false,
      warnings,
      error: { code: e.code, message: e.message, transient: e.transient },
    };
  }
}
