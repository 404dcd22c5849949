/**
 * Configuration dispatcher client (onsphere.md §3): HTTPS, TLS 1.3 only,
 * mutual TLS with module.crt, `GET /v1/connectors/{name}/config` with ETag,
 * and the last-known-good config kept on disk (secrets in the SecretStore)
 * for the days the dispatcher is down.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { AgentError } from '../../contract/errors.ts';
import { formatHostPort } from '../../contract/host-port.ts';
import { ensurePrivateDir, writeFileAtomic } from '../../fsutil.ts';
import { targetSecretName } from '../../secrets.ts';
import {
  classifyFailure,
  formatEtag,
  MAX_CONFIG_BYTES,
  ospConfigSchema,
  parseConfigDocument,
  parseDispatcherError,
  parseEtag,
  parseRetryAfter,
  withoutSecrets,
  type OspConfig,
} from './codec.ts';
import type { DispatcherEndpoint } from './config.ts';
import type { IdentityMaterial } from './identity.ts';

/** §3.1 timeouts. */
export const DISPATCHER_CONNECT_TIMEOUT_MS = 10_000;
export const DISPATCHER_RESPONSE_TIMEOUT_MS = 30_000;
/** §3.3: 403/404 stop fast retries; retry every 5 min. */
export const DISPATCHER_REFUSED_RETRY_MS = 5 * 60_000;
/** §3.5: fallback re-fetch every 10 min. */
export const CONFIG_REFETCH_INTERVAL_MS = 10 * 60_000;

/** A dispatcher answer that is not a config, with what the caller needs to decide (§3.3). */
export class DispatcherError extends AgentError {
  readonly status: number | undefined;
  readonly serverCode: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** The label of osp_dispatcher_fetches_total{result}. */
  readonly result: string;

  constructor(
    code: ConstructorParameters<typeof AgentError>[0],
    message: string,
    options: {
      transient: boolean;
      status?: number;
      serverCode?: string;
      retryAfterSeconds?: number;
      result: string;
      cause?: unknown;
    },
  ) {
    super(code, message, { transient: options.transient, cause: options.cause });
    this.status = options.status;
    this.serverCode = options.serverCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.result = options.result;
  }
}

export type FetchOutcome =
  { status: 'changed'; config: OspConfig; etag: string | undefined } | { status: 'unchanged' };

export interface FetchOptions {
  name: string;
  /** The version we hold, sent as If-None-Match. */
  version?: string;
  userAgent: string;
  signal?: AbortSignal;
  /** For tests: pin a TLS version to see it refused. */
  tls?: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3' };
}

/** One config request (§3.2), answered per §3.3. */
export function fetchConfig(
  endpoint: DispatcherEndpoint,
  identity: IdentityMaterial,
  options: FetchOptions,
): Promise<FetchOutcome> {
  const where = `OnSphere dispatcher ${endpoint.host}:${endpoint.port}`;
  return new Promise<FetchOutcome>((resolve, reject) => {
    let handshakeDone = false;
    let answered = false;
    const fail = (error: unknown): void => {
      if (error instanceof AgentError) return reject(error);
      const code = (error as { code?: string }).code;
      // §3.1: under TLS 1.3 the server judges our certificate after the client thinks the handshake is done;
      // a Node server then just resets. A reset in that window is a refusal, not "network down".
      if (
        handshakeDone &&
        !answered &&
        (code === 'ECONNRESET' || /socket hang up/i.test((error as Error).message))
      ) {
        return reject(
          new DispatcherError(
            'unauthorized',
            `${where} closed the connection right after the TLS handshake: it refused our client certificate (module.crt not issued by the stack's CA, or none sent)`,
            { transient: false, result: 'tls-refused', cause: error },
          ),
        );
      }
      const c = classifyFailure(error, where);
      reject(
        new DispatcherError(c.code, c.reason, {
          transient: c.class === 'transient',
          result: c.class === 'transient' ? 'unavailable' : 'tls-refused',
          cause: error,
        }),
      );
    };
    const headers: Record<string, string> = {
      Host: formatHostPort(endpoint),
      Accept: 'application/json',
      'User-Agent': options.userAgent,
    };
    if (options.version !== undefined) headers['If-None-Match'] = formatEtag(options.version);
    const requestOptions: RequestOptions & Pick<ConnectionOptions, 'ALPNProtocols'> = {
      host: endpoint.host,
      port: endpoint.port,
      method: 'GET',
      path: `/v1/connectors/${encodeURIComponent(options.name)}/config`,
      headers,
      agent: false,
      // §3.1: TLS 1.3 only, server verified against ca.crt and DISPATCHER_HOST, our module cert presented.
      minVersion: options.tls?.minVersion ?? 'TLSv1.3',
      maxVersion: options.tls?.maxVersion ?? 'TLSv1.3',
      ALPNProtocols: ['http/1.1'],
      ca: identity.caPem,
      cert: identity.certPem,
      key: identity.keyPem,
      rejectUnauthorized: true,
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    const req = httpsRequest(requestOptions);
    const connectTimer = setTimeout(
      () =>
        req.destroy(
          Object.assign(
            new Error(
              `connect ETIMEDOUT: no TLS session within ${DISPATCHER_CONNECT_TIMEOUT_MS} ms`,
            ),
            { code: 'ETIMEDOUT' },
          ),
        ),
      DISPATCHER_CONNECT_TIMEOUT_MS,
    );
    const responseTimer = setTimeout(
      () =>
        req.destroy(
          Object.assign(
            new Error(`no complete answer within ${DISPATCHER_RESPONSE_TIMEOUT_MS} ms`),
            { code: 'ETIMEDOUT' },
          ),
        ),
      DISPATCHER_RESPONSE_TIMEOUT_MS,
    );
    req.on('socket', (socket) =>
      socket.once('secureConnect', () => {
        handshakeDone = true;
        clearTimeout(connectTimer);
      }),
    );
    req.on('error', (error) => {
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
      fail(error);
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_CONFIG_BYTES) {
          req.destroy(
            new AgentError(
              'protocol',
              `${where} sent more than ${MAX_CONFIG_BYTES} bytes (onsphere.md §3.1)`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(connectTimer);
        clearTimeout(responseTimer);
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        try {
          resolve(answer(where, status, body, res.headers.etag, res.headers['retry-after']));
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.end();
  });
}

function answer(
  where: string,
  status: number,
  body: string,
  etag: string | undefined,
  retryAfter: string | string[] | undefined,
): FetchOutcome {
  if (status === 200) {
    try {
      const config = parseConfigDocument(body);
      return { status: 'changed', config, etag: parseEtag(etag) ?? config.version };
    } catch (error) {
      const e = error as AgentError;
      throw new DispatcherError('protocol', `${where}: ${e.message}`, {
        transient: false,
        status,
        result: 'invalid',
        cause: error,
      });
    }
  }
  if (status === 304) return { status: 'unchanged' };
  const serverError = parseDispatcherError(body);
  const said = serverError === undefined ? '' : `: ${serverError.code}: ${serverError.message}`;
  const base = { status, ...(serverError === undefined ? {} : { serverCode: serverError.code }) };
  if (status === 403) {
    return thrown(
      new DispatcherError(
        'unauthorized',
        `${where} refused this connector (403${said}); it is retried every 5 minutes — ask the stack's admin to declare it as a remote connector with this certificate`,
        { ...base, transient: false, result: 'refused' },
      ),
    );
  }
  if (status === 404) {
    return thrown(
      new DispatcherError(
        'not-found',
        `${where} knows no connector of this name (404${said}): check the certificate's CN with the stack's admin`,
        { ...base, transient: false, result: 'refused' },
      ),
    );
  }
  if (status === 429 || status === 503) {
    const after = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    return thrown(
      new DispatcherError(
        'unreachable',
        `${where} is busy (${status}${said})${after === undefined ? '' : `: retry after ${after} s`}`,
        {
          ...base,
          transient: true,
          result: 'busy',
          ...(after === undefined ? {} : { retryAfterSeconds: after }),
        },
      ),
    );
  }
  if (status === 400) {
    return thrown(
      new DispatcherError(
        'protocol',
        `${where} says the request is malformed (400${said}): this is a bug in Outpost, please report it`,
        { ...base, transient: false, result: 'error' },
      ),
    );
  }
  return thrown(
    new DispatcherError(
      status >= 500 ? 'unreachable' : 'protocol',
      `${where} answered HTTP ${status}${said}`,
      { ...base, transient: status >= 500, result: 'error' },
    ),
  );
}

function thrown(error: Error): never {
  throw error;
}

// ---- last-known-good config (§3.4) -----------------------------------------------

export interface StoredConfig {
  config: OspConfig;
  fetchedAt: string;
}

export interface CurrentConfig extends StoredConfig {
  /** True when the dispatcher could not be asked and the last-known-good config is used. */
  stale: boolean;
  staleReason?: string;
}

function configDir(ctx: AgentContext, target: string): string {
  return join(ctx.paths.root, 'onsphere', target);
}

export async function readStoredConfig(
  ctx: AgentContext,
  target: string,
): Promise<StoredConfig | undefined> {
  let text: string;
  try {
    text = await readFile(join(configDir(ctx, target), 'config.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const json = JSON.parse(text) as { config: unknown; fetchedAt: string };
    return { config: ospConfigSchema.parse(json.config), fetchedAt: String(json.fetchedAt) };
  } catch {
    return undefined;
  }
}

/** Persists a fetched config: its `secrets` go to the SecretStore, the rest to disk (§3.4). */
export async function storeConfig(
  ctx: AgentContext,
  target: string,
  config: OspConfig,
): Promise<StoredConfig> {
  for (const [key, value] of Object.entries(config.secrets ?? {})) {
    await ctx.secrets.set(targetSecretName(target, `config.${key}`), value);
  }
  const stored: StoredConfig = {
    config: withoutSecrets(config),
    fetchedAt: new Date().toISOString(),
  };
  await ensurePrivateDir(configDir(ctx, target));
  await writeFileAtomic(
    join(configDir(ctx, target), 'config.json'),
    JSON.stringify(stored, null, 2),
    0o600,
  );
  return stored;
}

export async function removeStoredConfig(ctx: AgentContext, target: string): Promise<void> {
  await rm(configDir(ctx, target), { recursive: true, force: true });
  for (const name of await ctx.secrets.list()) {
    if (name.startsWith(targetSecretName(target, 'config.'))) await ctx.secrets.delete(name);
  }
}

/**
 * Fetch with If-None-Match, persist, or fall back to the last-known-good
 * config when the dispatcher cannot be reached (transient failures only: a
 * 403 means the stack revoked us, and the broker would refuse us too).
 */
export async function refreshConfig(
  ctx: AgentContext,
  target: string,
  endpoint: DispatcherEndpoint,
  identity: IdentityMaterial,
  options: Omit<FetchOptions, 'version' | 'userAgent'> & { onFetch?: (result: string) => void },
): Promise<CurrentConfig> {
  const known = await readStoredConfig(ctx, target);
  try {
    const outcome = await fetchConfig(endpoint, identity, {
      ...options,
      userAgent: `outpost/${ctx.version}`,
      ...(known === undefined ? {} : { version: known.config.version }),
    });
    if (outcome.status === 'unchanged' && known !== undefined) {
      options.onFetch?.('not-modified');
      return { ...known, stale: false };
    }
    if (outcome.status === 'unchanged') {
      throw new DispatcherError(
        'protocol',
        `OnSphere dispatcher ${endpoint.host}:${endpoint.port} answered 304 to a request without If-None-Match`,
        { transient: true, result: 'error' },
      );
    }
    if (outcome.config.module.name !== options.name) {
      throw new DispatcherError(
        'protocol',
        `the dispatcher sent the config of '${outcome.config.module.name}', not of '${options.name}' (our certificate CN)`,
        { transient: false, result: 'invalid' },
      );
    }
    const stored = await storeConfig(ctx, target, outcome.config);
    options.onFetch?.('ok');
    return { ...stored, stale: false };
  } catch (error) {
    options.onFetch?.(error instanceof DispatcherError ? error.result : 'error');
    const agentError = error as AgentError;
    if (known !== undefined && agentError.transient) {
      return { ...known, stale: true, staleReason: agentError.message };
    }
    throw error;
  }
}
