/**
 * A Tentacle target as stored in settings (no secret in it) and how it turns
 * into client options with the secrets from the SecretStore.
 */
import { resolve } from 'node:path';

import type { z } from 'zod';

import { connectionSchema, tentacleTargetConfigSchema } from '../../contract/tentacle.ts';

import type { AgentContext } from '../../context.ts';

import { AgentError } from '../../contract/errors.ts';

import { TENTACLE_DEFAULT_PORT } from '../../contract/ports.ts';

import { targetSecretName } from '../../secrets.ts';

import type { ClientOptions } from './transfer.ts';

export {
  AFTER_DELIVERY,
  connectionSchema,
  outboxSchema,
  proxySchema,
  tentacleTargetConfigSchema,
} from '../../contract/tentacle.ts';
import type { AgentWarning } from '../../contract/warnings.ts';

import { readPemFile } from '../../identity/pem-file.ts';

/** The server's port unless a target says otherwise (tentacle.md §1). */
export const DEFAULT_PORT = TENTACLE_DEFAULT_PORT;

export type TentacleConnection = z.output<typeof connectionSchema>;
export type TentacleTargetConfig = z.output<typeof tentacleTargetConfigSchema>;

export interface TentacleSecrets {
  password?: string | undefined;
  keyPassphrase?: string | undefined;
  proxyPassword?: string | undefined;
}

export const SECRET_KEYS = {
  password: 'password',
  keyPassphrase: 'key-passphrase',
  proxyPassword: 'proxy-password',
} as const;

/** Rules across fields, with the field to blame. */
export function checkConnection(connection: TentacleConnection, secrets: TentacleSecrets): void {
  const needsTls =
    connection.caFile !== undefined || connection.certFile !== undefined || connection.insecure;
  if (needsTls && !connection.tls) {
    const field =
      connection.caFile !== undefined
        ? 'caFile'
        : connection.certFile !== undefined
          ? 'certFile'
          : 'insecure';
    throw new AgentError(
      'invalid-request',
      `${field} only applies to TLS: enable TLS (-c / tls: true)`,
      { field },
    );
  }
  if ((connection.certFile === undefined) !== (connection.keyFile === undefined)) {
    throw new AgentError(
      'invalid-request',
      'a client certificate (-e CERT) needs its key (-k KEY) and the other way round',
      {
        field: connection.certFile === undefined ? 'certFile' : 'keyFile',
      },
    );
  }
  if (connection.insecure && connection.caFile !== undefined) {
    throw new AgentError(
      'invalid-request',
      'caFile and insecure contradict each other: a CA file is for verifying the server',
      { field: 'insecure' },
    );
  }
  if (secrets.password !== undefined && !connection.tls && !connection.allowPlainPassword) {
    throw new AgentError(
      'invalid-request',
      'refusing to send the Tentacle password over plain TCP: anyone on the path could replay it (tentacle.md §8). Use TLS (-c), or allow it explicitly with --allow-plain-password',
      { field: 'password' },
    );
  }
}

/** The warnings a person must see about this connection (every UI shows them). */
export function connectionWarnings(
  connection: TentacleConnection,
  secrets: TentacleSecrets = {},
): AgentWarning[] {
  const warnings: AgentWarning[] = [];
  if (connection.insecure)
    warnings.push({
      code: 'insecure-tls',
      message:
        'TLS server certificate NOT verified (--insecure): anyone on the path can impersonate the server',
    });
  if (!connection.tls)
    warnings.push({
      code: 'plain-tcp',
      message: 'plain TCP: file contents travel unencrypted and unauthenticated',
    });
  if (secrets.password !== undefined && !connection.tls)
    warnings.push({
      code: 'plain-password',
      message: 'the password digest is sent in clear (--allow-plain-password)',
    });
  if (connection.proxy?.user !== undefined)
    warnings.push({
      code: 'proxy-basic-credentials',
      message: 'proxy credentials go to the proxy as HTTP Basic, in clear',
    });
  return warnings;
}

/** Client options from a connection, its secrets, and the files it names. */
export async function clientOptions(
  connection: TentacleConnection,
  secrets: TentacleSecrets,
  extra: { signal?: AbortSignal; tmpDir?: string } = {},
): Promise<ClientOptions> {
  checkConnection(connection, secrets);
  const options: ClientOptions = { host: connection.host, port: connection.port };
  if (connection.tls) {
    options.tls = { insecure: connection.insecure };
    if (connection.caFile !== undefined)
      options.tls.caPem = await readPemFile(connection.caFile, 'caFile');
    if (connection.certFile !== undefined)
      options.tls.certPem = await readPemFile(connection.certFile, 'certFile');
    if (connection.keyFile !== undefined)
      options.tls.keyPem = await readPemFile(connection.keyFile, 'keyFile');
    if (secrets.keyPassphrase !== undefined) options.tls.passphrase = secrets.keyPassphrase;
  }
  if (connection.proxy !== undefined) {
    options.proxy = { ...connection.proxy };
    if (secrets.proxyPassword !== undefined) options.proxy.password = secrets.proxyPassword;
  }
  if (secrets.password !== undefined) options.password = secrets.password;
  options.allowPlainPassword = connection.allowPlainPassword;
  if (connection.bindAddress !== undefined) options.localAddress = connection.bindAddress;
  if (connection.idleTimeoutSeconds !== undefined)
    options.idleTimeoutMs = connection.idleTimeoutSeconds * 1000;
  if (extra.signal !== undefined) options.signal = extra.signal;
  if (extra.tmpDir !== undefined) options.tmpDir = extra.tmpDir;
  return options;
}

/** The secondary server's destination name: its queue address, secret names and status. */
export const SECONDARY = 'secondary';

/**
 * A secret's name in the SecretStore: `target/<name>/password` for the
 * primary, `target/<name>/secondary-password` for the secondary server, whose
 * secrets are its own (pandora-remote-config.md §14.5).
 */
export function tentacleSecretName(
  target: string,
  key: keyof TentacleSecrets,
  destination?: typeof SECONDARY,
): string {
  return targetSecretName(
    target,
    destination === undefined ? SECRET_KEYS[key] : `${destination}-${SECRET_KEYS[key]}`,
  );
}

export async function readTargetSecrets(
  ctx: AgentContext,
  target: string,
  destination?: typeof SECONDARY,
): Promise<TentacleSecrets> {
  const read = (key: keyof TentacleSecrets) =>
    ctx.secrets.get(tentacleSecretName(target, key, destination));
  return {
    password: await read('password'),
    keyPassphrase: await read('keyPassphrase'),
    proxyPassword: await read('proxyPassword'),
  };
}

/** The secondary server's connection, without its mode. */
export function secondaryConnection(
  secondary: NonNullable<TentacleTargetConfig['secondary']>,
): TentacleConnection {
  const { mode: _mode, ...connection } = secondary;
  return connection;
}

/** A saved target, or a connection given in full (a one-shot send or get). */
export type Where = { target: string } | ({ connection: TentacleConnection } & TentacleSecrets);

/** Certificate and key paths made absolute: a saved target must not depend on the folder it was added from. */
export function absolute(connection: TentacleConnection): TentacleConnection {
  const out = { ...connection };
  if (out.caFile !== undefined) out.caFile = resolve(out.caFile);
  if (out.certFile !== undefined) out.certFile = resolve(out.certFile);
  if (out.keyFile !== undefined) out.keyFile = resolve(out.keyFile);
  return out;
}

/** The connection and secrets a request names. */
export async function resolveWhere(
  ctx: AgentContext,
  where: Where,
): Promise<{ target?: string; connection: TentacleConnection; secrets: TentacleSecrets }> {
  if ('target' in where) {
    const record = ctx.targets.getOfKind<TentacleTargetConfig>(where.target, 'tentacle', 'target');
    // Remote configuration, collections and one-shot transfers use the primary only (§12.5, §14.1).
    const { outbox: _outbox, secondary: _secondary, ...connection } = record.config;
    return {
      target: where.target,
      connection,
      secrets: await readTargetSecrets(ctx, where.target),
    };
  }
  const secrets: TentacleSecrets = {};
  if (where.password !== undefined) secrets.password = where.password;
  if (where.keyPassphrase !== undefined) secrets.keyPassphrase = where.keyPassphrase;
  if (where.proxyPassword !== undefined) secrets.proxyPassword = where.proxyPassword;
  return { connection: absolute(where.connection), secrets };
}
