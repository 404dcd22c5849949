/** The tentacle part of AgentApi (contract/tentacle.ts). */
import { join, resolve } from 'node:path';
import type { AgentHandlers } from '../../contract/index.ts';
import type { AgentContext } from '../../context.ts';
import type { TentacleFileResult, TentacleTransferResult } from '../../contract/tentacle.ts';
import { toAgentError } from '../../contract/errors.ts';
import { TentacleClient, TENTACLE_TMP_DIR, tlsInfo } from './transfer.ts';
import { clientOptions, connectionWarnings, resolveWhere, type Where } from './config.ts';
import { addTentacleTarget, testTentacleTarget } from './pairing.ts';
import { assertFileName, baseName } from './names.ts';
import { isSecurityWarning } from '../../contract/warnings.ts';

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
    addTentacleTarget: (request) => addTentacleTarget(ctx, request),

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

    testTentacleTarget: ({ name }) => testTentacleTarget(ctx, name),
  };
}
