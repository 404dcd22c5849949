/** The tentacle part of AgentApi (contract/tentacle.ts). */
import { join, resolve } from 'node:path';

import type { AgentHandlers } from '../../contract/index.ts';

import type { AgentContext } from '../../context.ts';

import type { TentacleFileResult, TentacleTransferResult } from '../../contract/tentacle.ts';

import { toAgentError } from '../../contract/errors.ts';
import { targetSecretName } from '../../secrets.ts';

import { TentacleClient, TENTACLE_TMP_DIR } from './transfer.ts';

import {
  checkConnection,
  clientOptions,
  connectionWarnings,
  readTargetSecrets,
  SECRET_KEYS,
  tentacleTargetConfigSchema,
  type TentacleConnection,
  type TentacleTargetConfig,
  type TentacleSecrets,
} from './config.ts';

import { assertFileName, baseName } from './names.ts';

import { isSecurityWarning } from '../../contract/warnings.ts';

type Where = { target: string } | ({ connection: TentacleConnection } & TentacleSecrets);

function absolute(connection: TentacleConnection): TentacleConnection {
  const out = { ...connection };
  if (out.caFile !== undefined) out.caFile = resolve(out.caFile);
  if (out.certFile !== undefined) out.certFile = resolve(out.certFile);
  if (out.keyFile !== undefined) out.keyFile = resolve(out.keyFile);
  return out;
}

async function resolveWhere(
  ctx: AgentContext,
  where: Where,
): Promise<{ target?: string; connection: TentacleConnection; secrets: TentacleSecrets }> {
  if ('target' in where) {
    const record = ctx.targets.getOfKind<TentacleTargetConfig>(where.target, 'tentacle', 'target');
    const { outbox: _outbox, ...connection } = record.config;
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

function failed(file: string, name: string, error: unknown): TentacleFileResult {
  const e = toAgentError(error);
  return {
    file,
    name,
    ok: false,
    error: {
      code: e.code,
      message: e.message,
      transient: e.transient,
      ...(e.field === undefined ? {} : { field: e.field }),
    },
  };
}

function tlsInfo(client: TentacleClient): TentacleTransferResult['tls'] {
  const peer = client.peerCertificate;
  if (client.tlsVersion === undefined || peer === undefined) return undefined;
  return {
    version: client.tlsVersion,
    peerSubject: peer.subject,
    peerIssuer: peer.issuer,
    fingerprint256: peer.fingerprint256,
  };
}

export function createTentacleHandlers(ctx: AgentContext): Partial<AgentHandlers> {
  const log = ctx.log.child('tentacle');

  /** Runs `work` for each entry over one session; entries already failed stay failed. */
  async function transfer(
    where: Where,
    entries: Array<{ file: string; name: string; error?: unknown }>,
    work: (
      client: TentacleClient,
      entry: { file: string; name: string },
      server: string,
    ) => Promise<TentacleFileResult>,
  ): Promise<TentacleTransferResult> {
    const { connection, secrets, target } = await resolveWhere(ctx, where);
    const server = `${connection.host}:${connection.port}`;
    const warnings = connectionWarnings(connection, secrets);
    for (const warning of warnings.filter(isSecurityWarning))
      log.warn(warning.message, { server, ...(target === undefined ? {} : { target }) });
    const results: TentacleFileResult[] = entries.map((e) =>
      e.error === undefined
        ? { file: e.file, name: e.name, ok: false }
        : failed(e.file, e.name, e.error),
    );
    const todo = entries.map((e, i) => ({ ...e, i })).filter((e) => e.error === undefined);
    let tls: TentacleTransferResult['tls'];
    if (todo.length > 0) {
      let client: TentacleClient | undefined;
      try {
        client = await TentacleClient.connect(
          await clientOptions(connection, secrets, {
            tmpDir: join(ctx.paths.root, TENTACLE_TMP_DIR),
          }),
        );
        tls = tlsInfo(client);
        for (const entry of todo) {
          try {
            results[entry.i] = await work(client, entry, server);
          } catch (error) {
            results[entry.i] = failed(entry.file, entry.name, error);
            // Permanent refusals leave the session usable (§4.1, P09); anything else ends it.
            const e = toAgentError(error);
            if (
              e.code !== 'refused' &&
              e.code !== 'not-found' &&
              e.code !== 'conflict' &&
              e.code !== 'invalid-request'
            )
              throw e;
          }
        }
        await client.quit();
      } catch (error) {
        client?.close();
        for (const entry of todo)
          if (results[entry.i]!.ok === false && results[entry.i]!.error === undefined)
            results[entry.i] = failed(entry.file, entry.name, error);
      }
    }
    const out: TentacleTransferResult = {
      server,
      allOk: results.every((r) => r.ok),
      results,
      warnings,
    };
    if (tls !== undefined) out.tls = tls;
    return out;
  }

  return {
    async addTentacleTarget(request) {
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
      log.info('tentacle target saved', {
        target: request.name,
        host: connection.host,
        port: connection.port,
        tls: connection.tls,
      });
      for (const warning of warnings.filter(isSecurityWarning))
        log.warn(warning.message, { target: request.name });
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
    },

    async sendTentacleFiles(request) {
      const entries = request.files.map((file) => {
        const name = baseName(file);
        try {
          assertFileName(name, 'fileName');
          return { file: resolve(file), name };
        } catch (error) {
          return { file, name, error };
        }
      });
      const zipOverride = request.zip;
      const target = 'target' in request ? request.target : undefined;
      return transfer(request, entries, async (client, entry, server) => {
        const { connection } = await resolveWhere(ctx, request);
        const sent = await client.send(entry.file, {
          name: entry.name,
          zip: zipOverride ?? connection.zip,
          onProgress: (p) =>
            ctx.events.emit('tentacle.progress', {
              ...(target === undefined ? {} : { target }),
              server,
              direction: 'send',
              name: p.name,
              bytes: p.bytes,
              total: p.total,
            }),
        });
        return { file: entry.file, name: sent.name, ok: true, bytes: sent.bytes };
      });
    },

    async fetchTentacleFiles(request) {
      const entries = request.names.map((name) => {
        try {
          assertFileName(name, 'name');
          return { file: name, name };
        } catch (error) {
          return { file: name, name, error };
        }
      });
      const target = 'target' in request ? request.target : undefined;
      const dir = resolve(request.dir);
      return transfer(request, entries, async (client, entry, server) => {
        const { connection } = await resolveWhere(ctx, request);
        const got = await client.recv(entry.name, {
          dir,
          overwrite: request.overwrite,
          zip: request.zip ?? connection.zip,
          ...(request.maxBytes === undefined ? {} : { maxBytes: request.maxBytes }),
          onProgress: (p) =>
            ctx.events.emit('tentacle.progress', {
              ...(target === undefined ? {} : { target }),
              server,
              direction: 'recv',
              name: p.name,
              bytes: p.bytes,
              total: p.total,
            }),
        });
        return { file: entry.name, name: entry.name, ok: true, bytes: got.bytes, path: got.path };
      });
    },

    async testTentacleTarget({ name }) {
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
    },
  };
}
