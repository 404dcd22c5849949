/**
 * REST fallback (spec icinga2.md §5): `POST /v1/actions/process-check-result`
 * on the same port, for masters whose cluster port the agent cannot use.
 * The ApiUser is found by our client certificate (`client_cn`) or by basic
 * auth; the master is verified by its CA (paired) or its pinned leaf.
 */
import { request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { AgentError } from '../../contract/errors.ts';
import type { CheckResultPayload } from '../../contract/queue-items.ts';
import { derFingerprint } from './certs.ts';

/** §5: idle HTTP connections are closed after 10 s; one request must not hang longer than this. */
const REST_TIMEOUT_MS = 30_000;
/** A master answers process-check-result with a few hundred bytes; more is refused before it grows. */
const REST_MAX_ANSWER_BYTES = 1024 * 1024;

export interface RestTarget {
  host: string;
  port: number;
  endpoint: string;
  /** Paired: verify the master against its CA and present our certificate. */
  caPem?: string;
  keyPem?: string;
  certPem?: string;
  /** Not paired: the master's leaf must have this SHA-256 (lower-case hex). */
  pinnedFingerprint?: string;
  basicAuth?: { user: string; password: string };
}

/** §5 parameters; host results take exit_status 0 (UP) or 1 (DOWN). */
export function processCheckResultBody(
  result: CheckResultPayload,
  checkSource: string,
): Record<string, unknown> {
  const isHost = result.service === undefined;
  const output =
    result.longOutput === undefined || result.longOutput === ''
      ? result.output
      : `${result.output}\n${result.longOutput}`;
  return {
    ...(isHost
      ? { type: 'Host', host: result.host }
      : { type: 'Service', service: `${result.host}!${result.service}` }),
    exit_status: isHost ? (result.state <= 1 ? 0 : 1) : result.state,
    plugin_output: output,
    performance_data: result.performanceData,
    check_source: result.checkSource ?? checkSource,
    execution_start: result.executionStart,
    execution_end: result.executionEnd,
  };
}

export async function postCheckResult(
  target: RestTarget,
  result: CheckResultPayload,
  checkSource: string,
  signal?: AbortSignal,
): Promise<void> {
  const body = Buffer.from(JSON.stringify(processCheckResultBody(result, checkSource)));
  const object = result.service === undefined ? result.host : `${result.host}!${result.service}`;
  const socket = await connectVerified(target);
  const { status, text } = await new Promise<{ status: number; text: string }>(
    (resolve, reject) => {
      const req = request(
        {
          method: 'POST',
          path: '/v1/actions/process-check-result',
          createConnection: () => socket,
          headers: {
            Host: `${target.endpoint}:${target.port}`,
            // §5: mandatory for non-GET requests.
            Accept: 'application/json',
            'Content-Type': 'application/json',
            'Content-Length': body.length,
            ...(target.basicAuth === undefined
              ? {}
              : {
                  Authorization: `Basic ${Buffer.from(`${target.basicAuth.user}:${target.basicAuth.password}`).toString('base64')}`,
                }),
          },
          ...(signal === undefined ? {} : { signal }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > REST_MAX_ANSWER_BYTES) {
              reject(
                new AgentError(
                  'protocol',
                  `the Icinga REST API at ${target.host}:${target.port} answered with more than ${REST_MAX_ANSWER_BYTES} bytes: not what a master answers to process-check-result`,
                ),
              );
              req.destroy();
              return;
            }
            chunks.push(c);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(REST_TIMEOUT_MS, () =>
        req.destroy(
          new AgentError(
            'timeout',
            `the Icinga REST API did not answer within ${REST_TIMEOUT_MS / 1000} s`,
          ),
        ),
      );
      req.once('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof AgentError) reject(error);
        else
          reject(
            new AgentError(
              'unreachable',
              `cannot reach the Icinga REST API at ${target.host}:${target.port}: ${error.message}`,
              { cause: error },
            ),
          );
      });
      req.end(body);
    },
  ).finally(() => socket.destroy());
  const statusText = describe(text);
  if (status === 200) {
    // §5: an unreachable object answers 200 "Ignoring passive check result…": nothing was stored.
    if (/^Ignoring/i.test(statusText))
      throw new AgentError(
        'refused',
        `the master ignored the result for '${object}': ${statusText}`,
      );
    return;
  }
  if (status === 401) {
    throw new AgentError(
      'unauthorized',
      `the Icinga REST API refused our credentials (401): check the ApiUser ${target.basicAuth === undefined ? "whose client_cn is this agent's CN" : `'${target.basicAuth.user}' and its password`}`,
    );
  }
  if (status === 404) {
    throw new AgentError(
      'refused',
      `the master has no object '${object}' this ApiUser may submit results for (404 ${statusText}): check the name and the permission actions/process-check-result`,
    );
  }
  if (status === 400 || status === 403 || status === 500) {
    throw new AgentError(
      'refused',
      `the master refused the result for '${object}' (${status}): ${statusText}`,
    );
  }
  throw new AgentError('unreachable', `the Icinga REST API answered ${status}: ${statusText}`, {
    transient: true,
  });
}

/**
 * TLS first, request second: with a CA Node verifies chain and endpoint name;
 * without one (REST target never paired) the leaf must match the pin before
 * a byte of the request is written.
 */
function connectVerified(target: RestTarget): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: target.host,
      port: target.port,
      servername: target.endpoint,
      minVersion: 'TLSv1.2',
      ...(target.caPem === undefined ? { rejectUnauthorized: false } : { ca: target.caPem }),
      ...(target.keyPem === undefined || target.certPem === undefined
        ? {}
        : { key: target.keyPem, cert: target.certPem }),
    });
    socket.setTimeout(REST_TIMEOUT_MS, () =>
      socket.destroy(
        new AgentError(
          'timeout',
          `no TLS handshake with ${target.host}:${target.port} within ${REST_TIMEOUT_MS / 1000} s`,
        ),
      ),
    );
    socket.once('error', (error) =>
      reject(
        error instanceof AgentError
          ? error
          : new AgentError(
              'unreachable',
              `cannot reach the Icinga REST API at ${target.host}:${target.port}: ${error.message}`,
              { cause: error },
            ),
      ),
    );
    socket.once('secureConnect', () => {
      socket.setTimeout(0);
      const fingerprint = derFingerprint(socket.getPeerCertificate(false).raw);
      if (target.caPem === undefined && fingerprint !== target.pinnedFingerprint) {
        socket.destroy();
        reject(
          new AgentError(
            'untrusted-peer',
            `the master at ${target.host}:${target.port} presented SHA-256 ${fingerprint}, not the pinned ${target.pinnedFingerprint ?? '(none)'}: request not sent`,
          ),
        );
        return;
      }
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

function describe(text: string): string {
  try {
    const body = JSON.parse(text) as { status?: string; results?: Array<{ status?: string }> };
    return body.results?.[0]?.status ?? body.status ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
