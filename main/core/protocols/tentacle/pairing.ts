/**
 * Tentacle has no handshake to pair with: a target is a saved connection whose
 * certificate and key files are read now (not at the first delivery) and whose
 * secrets go to the SecretStore; `testTentacleTarget` connects, authenticates
 * and QUITs (tentacle.md §2, §8, §9).
 */
import { resolve } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { AgentHandlers } from '../../contract/index.ts';
import type { TentacleTargetInfo, TentacleTestResult } from '../../contract/tentacle.ts';
import { isSecurityWarning, type AgentWarning } from '../../contract/warnings.ts';
import {
  absolute,
  checkConnection,
  clientOptions,
  connectionWarnings,
  readTargetSecrets,
  resolveWhere,
  SECONDARY,
  secondaryConnection,
  SECRET_KEYS,
  tentacleSecretName,
  tentacleTargetConfigSchema,
  type TentacleConnection,
  type TentacleSecrets,
  type TentacleTargetConfig,
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
  const secondary =
    request.secondary === undefined
      ? undefined
      : { ...absolute(secondaryConnection(request.secondary)), mode: request.secondary.mode };
  const secondarySecrets: TentacleSecrets = {
    password: request.secondaryPassword,
    keyPassphrase: request.secondaryKeyPassphrase,
    proxyPassword: request.secondaryProxyPassword,
  };
  if (secondary === undefined) {
    const given = Object.entries(secondarySecrets).find(([, value]) => value !== undefined);
    if (given !== undefined) {
      const field = secondarySecretField(given[0]);
      throw new AgentError(
        'invalid-request',
        `${field} belongs to a secondary server: give its address (secondary.host) too`,
        { field },
      );
    }
  } else {
    await asSecondary(async () => {
      checkConnection(secondaryConnection(secondary), secondarySecrets);
      await clientOptions(secondaryConnection(secondary), secondarySecrets);
    });
  }
  const config = {
    ...connection,
    ...(request.outbox === undefined
      ? {}
      : { outbox: { ...request.outbox, dir: resolve(request.outbox.dir) } }),
    ...(secondary === undefined ? {} : { secondary }),
  };
  ctx.targets.save(request.name, 'tentacle', config, { replace: request.replace });
  await storeSecrets(ctx, request.name, secrets, undefined);
  if (secondary === undefined) {
    // A removed secondary server takes its secrets with it.
    for (const key of Object.keys(SECRET_KEYS) as Array<keyof TentacleSecrets>)
      await ctx.secrets.delete(tentacleSecretName(request.name, key, SECONDARY));
  } else {
    await storeSecrets(ctx, request.name, secondarySecrets, SECONDARY);
  }
  const stored = await readTargetSecrets(ctx, request.name);
  const warnings = connectionWarnings(connection, stored);
  const storedSecondary =
    secondary === undefined ? undefined : await readTargetSecrets(ctx, request.name, SECONDARY);
  if (secondary !== undefined && storedSecondary !== undefined) {
    // Shown with the primary's: each server's own (plain TCP, insecure TLS…).
    warnings.push(...secondaryWarnings(secondaryConnection(secondary), storedSecondary));
  }
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
    secrets: secretFlags(stored),
    ...(storedSecondary === undefined ? {} : { secondarySecrets: secretFlags(storedSecondary) }),
    warnings,
  };
}

/** Which secrets are stored, never what they are. */
function secretFlags(secrets: TentacleSecrets): TentacleTargetInfo['secrets'] {
  return {
    password: secrets.password !== undefined,
    keyPassphrase: secrets.keyPassphrase !== undefined,
    proxyPassword: secrets.proxyPassword !== undefined,
  };
}

/** The secondary server's own warnings (plain TCP, insecure TLS…), shown with the primary's: each says whose it is. */
function secondaryWarnings(
  connection: TentacleConnection,
  secrets: TentacleSecrets,
): AgentWarning[] {
  return connectionWarnings(connection, secrets).map((warning) => ({
    ...warning,
    message: `secondary server: ${warning.message}`,
  }));
}

async function storeSecrets(
  ctx: AgentContext,
  target: string,
  secrets: TentacleSecrets,
  destination: typeof SECONDARY | undefined,
): Promise<void> {
  for (const [key, value] of Object.entries(secrets) as Array<
    [keyof TentacleSecrets, string | undefined]
  >) {
    if (value !== undefined)
      await ctx.secrets.set(tentacleSecretName(target, key, destination), value);
  }
}

/** The request field of one of the secondary's secrets: `password` → `secondaryPassword`. */
function secondarySecretField(key: string): string {
  return `secondary${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

/** The secondary server's checks, their errors blaming `secondary.<field>` (and its secrets). */
async function asSecondary(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const e = toAgentError(error);
    if (e.code !== 'invalid-request' && e.code !== 'not-found' && e.code !== 'io') throw e;
    const field =
      e.field === undefined
        ? 'secondary'
        : Object.hasOwn(SECRET_KEYS, e.field)
          ? secondarySecretField(e.field)
          : `secondary.${e.field}`;
    throw new AgentError(e.code, `secondary server: ${e.message}`, { field, cause: e });
  }
}

export async function testTentacleTarget(
  ctx: AgentContext,
  name: string,
): Promise<TentacleTestResult> {
  const { connection, secrets } = await resolveWhere(ctx, { target: name });
  const warnings = connectionWarnings(connection, secrets);
  const primary = await probe(connection, secrets);
  const result: TentacleTestResult = { name, ...primary, warnings };
  const stored = ctx.targets.getOfKind<TentacleTargetConfig>(name, 'tentacle').config.secondary;
  if (stored === undefined) return result;
  // The secondary server with its own secrets (§14.5), reported beside the primary.
  const secondary = secondaryConnection(stored);
  const secondarySecrets = await readTargetSecrets(ctx, name, SECONDARY);
  warnings.push(...secondaryWarnings(secondary, secondarySecrets));
  const probed = await probe(secondary, secondarySecrets);
  result.secondary = {
    server: `${secondary.host}:${secondary.port}`,
    mode: stored.mode,
    ...probed,
  };
  return result;
}

/** Connects, authenticates and QUITs. */
async function probe(
  connection: TentacleConnection,
  secrets: TentacleSecrets,
): Promise<Pick<TentacleTestResult, 'ok' | 'tls' | 'error'>> {
  try {
    const client = await TentacleClient.connect(await clientOptions(connection, secrets));
    const tls = tlsInfo(client);
    await client.quit();
    return { ok: true, ...(tls === undefined ? {} : { tls }) };
  } catch (error) {
    const e = toAgentError(error);
    return { ok: false, error: { code: e.code, message: e.message, transient: e.transient } };
  }
}
