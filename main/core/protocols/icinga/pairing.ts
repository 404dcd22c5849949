/**
 * Pairing with an Icinga master (spec icinga2.md §3), as `icinga2 node wizard`
 * / `pki save-cert` + `pki request` do it, but guided: the master's
 * fingerprint is confirmed (or given in advance) and pinned, and while a
 * request waits for `icinga2 ca sign` the exact command is shown.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AgentContext } from '../../context.ts';
import { AgentError } from '../../contract/errors.ts';
import { generateRsaKeyPair } from '../../identity/keys.ts';
import { normalizeFingerprint } from '../../identity/x509.ts';
import { targetSecretName } from '../../secrets.ts';
import {
  certificateCn,
  daysLeft,
  isSelfSigned,
  makeSelfSignedCertificate,
  requestFingerprint,
  spacedFingerprint,
  verifySignedAnswer,
} from './certs.ts';
import {
  ANONYMOUS_MAX_PAYLOAD,
  helloMessage,
  parseCertificateAnswer,
  requestCertificateMessage,
  type CertificateAnswer,
} from './codec.ts';
import type { IcingaTargetConfig } from './config.ts';
import { icingaTargetConfigSchema } from './config.ts';
import { openConnection } from './connection.ts';
import { normalizeTicket } from './ticket.ts';
import { type MasterCertificateInfo, type PairResult } from '../../contract/icinga.ts';

/** §3.4: the master answers in milliseconds; 30 s covers a loaded master. */
const REQUEST_TIMEOUT_MS = 30_000;
/** §3.5 ADVICE: poll every 10–60 s with backoff while pending. */
const DEFAULT_POLL_SECONDS = 10;
const MAX_POLL_SECONDS = 60;

/**
 * §3.2 trust on first use: TLS without client certificate and without
 * verification, take the leaf, close (the master logs "No data received").
 */
export async function fetchMasterCertificate(
  host: string,
  port: number,
): Promise<MasterCertificateInfo> {
  const connection = await openConnection({
    host,
    port,
    servername: host,
    maxPayload: ANONYMOUS_MAX_PAYLOAD,
  });
  const cert = connection.socket.getPeerCertificate(false);
  connection.close();
  const endpoint = typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined;
  if (endpoint === undefined) {
    throw new AgentError(
      'protocol',
      `the server at ${host}:${port} presented a certificate without a CN: it is not an Icinga master`,
    );
  }
  return {
    host,
    port,
    endpoint,
    subject: `CN=${endpoint}`,
    issuer: typeof cert.issuer?.CN === 'string' ? `CN=${cert.issuer.CN}` : '',
    notAfter: new Date(cert.valid_to).toISOString(),
    fingerprint: connection.peerFingerprint,
    fingerprintSpaced: spacedFingerprint(connection.peerFingerprint),
    certPem: connection.peerCertPem,
  };
}

export interface PairOptions {
  target: string;
  host: string;
  port: number;
  /** Our endpoint name; default settings agent.name or the machine's host name, lower-cased. */
  cn?: string;
  zone?: string;
  ticket?: string;
  /** The fingerprint the user confirmed (or was given by the master's admin). */
  trustFingerprint: string;
  /** How long to keep polling while the request is pending (0: ask once). */
  waitSeconds: number;
  pollSeconds?: number;
  /** Drop the existing key/certificate of this target and start with a new identity. */
  replace?: boolean;
  signal?: AbortSignal;
}

export function defaultEndpointName(ctx: AgentContext): string {
  const fromSettings = ctx.settings.read().agent.name;
  return (
    fromSettings !== undefined && fromSettings !== '' ? fromSettings : hostname()
  ).toLowerCase();
}

/** RSA bits of a new agent key for Icinga (§3.7: `node setup` uses 4096). */
export const ICINGA_KEY_BITS = 4096;

export async function pairIcinga(ctx: AgentContext, options: PairOptions): Promise<PairResult> {
  const { target } = options;
  const step = (
    name: string,
    status: 'running' | 'done' | 'waiting' | 'failed',
    detail?: string,
  ): void => {
    ctx.events.emit('pairing.step', {
      target,
      kind: 'icinga',
      step: name,
      status,
      ...(detail === undefined ? {} : { detail }),
    });
  };
  const cn = options.cn ?? defaultEndpointName(ctx);
  const trusted = normalizeFingerprint(options.trustFingerprint, 'trustFingerprint')
    .replace(/:/g, '')
    .toLowerCase();
  const ticket =
    options.ticket === undefined || options.ticket.trim() === ''
      ? undefined
      : normalizeTicket(options.ticket);

  // 1. The master's certificate must be the confirmed one before we create or send anything (§3.2, §3.6).
  step('fetch-master-certificate', 'running', `${options.host}:${options.port}`);
  let master: MasterCertificateInfo;
  try {
    master = await fetchMasterCertificate(options.host, options.port);
  } catch (error) {
    step('fetch-master-certificate', 'failed', (error as Error).message);
    throw error;
  }
  if (master.fingerprint !== trusted) {
    const message = `the master at ${options.host}:${options.port} presented SHA-256 ${master.fingerprintSpaced}, not the trusted ${spacedFingerprint(trusted)}: refusing to pair (nothing was sent). Compare with 'openssl x509 -in /var/lib/icinga2/certs/${master.endpoint}.crt -noout -fingerprint -sha256' on the master`;
    step('fetch-master-certificate', 'failed', message);
    throw new AgentError('untrusted-peer', message, { field: 'trustFingerprint' });
  }
  step('fetch-master-certificate', 'done', `${master.subject} SHA-256 ${master.fingerprintSpaced}`);

  // 2. Our key and self-signed certificate: kept across re-pairing unless replace (§3.5: same cert = same request).
  step('agent-certificate', 'running', cn);
  const existing = await ctx.identity.readCertificates(target);
  let keyPem = options.replace === true ? undefined : existing.keyPem;
  let certPem = options.replace === true ? undefined : existing.certPem;
  if (certPem !== undefined && certificateCn(certPem) !== cn) {
    throw new AgentError(
      'conflict',
      `target '${target}' already has an identity for CN '${certificateCn(certPem) ?? ''}', not '${cn}': pass replace (--replace) to start over with a new key`,
      { field: 'cn' },
    );
  }
  const zone = options.zone ?? cn;
  const config: IcingaTargetConfig = icingaTargetConfigSchema.parse({
    ...(ctx.targets.find(target)?.config as object | undefined),
    host: options.host,
    port: options.port,
    endpoint: master.endpoint,
    cn,
    zone,
  });
  if (
    keyPem !== undefined &&
    certPem !== undefined &&
    existing.caPem !== undefined &&
    !isSelfSigned(certPem)
  ) {
    // Already signed: re-pairing keeps the identity (the master would answer "valid and uptodate").
    verifySignedAnswer({
      certPem,
      caPem: existing.caPem,
      keyPem,
      cn,
      masterLeafPem: master.certPem,
    });
    await ctx.identity.setPin({
      target,
      kind: 'tls-sha256',
      value: normalizeFingerprint(master.fingerprint),
      subject: master.subject,
    });
    ctx.targets.save(target, 'icinga', config);
    step('agent-certificate', 'done', 'already signed by the master: kept');
    return {
      target,
      state: 'paired',
      cn,
      endpoint: master.endpoint,
      masterFingerprint: master.fingerprint,
      requestFingerprint: requestFingerprint(certPem),
      certificateExpires: new Date(Date.now() + daysLeft(certPem) * 86_400_000).toISOString(),
      reused: true,
    };
  }
  if (keyPem === undefined) {
    keyPem = (await generateRsaKeyPair(ICINGA_KEY_BITS)).privateKeyPem;
    certPem = undefined;
  }
  certPem ??= makeSelfSignedCertificate(keyPem, cn);
  await ctx.identity.saveCertificates(target, { keyPem, certPem });
  await ctx.identity.setPin({
    target,
    kind: 'tls-sha256',
    value: normalizeFingerprint(master.fingerprint),
    subject: master.subject,
  });
  ctx.targets.save(target, 'icinga', config);
  if (ticket !== undefined) await ctx.secrets.set(targetSecretName(target, 'ticket'), ticket);
  const fingerprint = requestFingerprint(certPem);
  step('agent-certificate', 'done', `CN=${cn}, request fingerprint ${fingerprint}`);

  // 3. pki::RequestCertificate, polling while pending (§3.4, §3.5).
  const storedTicket = ticket ?? (await ctx.secrets.get(targetSecretName(target, 'ticket')));
  const deadline = Date.now() + options.waitSeconds * 1000;
  let pollSeconds = options.pollSeconds ?? DEFAULT_POLL_SECONDS;
  const signCommand = `icinga2 ca sign ${fingerprint}`;
  for (;;) {
    step(
      'request-certificate',
      'running',
      storedTicket === undefined ? 'without ticket (on-demand signing)' : 'with ticket',
    );
    let answer: CertificateAnswer;
    try {
      answer = await requestCertificate({
        host: options.host,
        port: options.port,
        endpoint: master.endpoint,
        keyPem,
        certPem,
        pinned: master.fingerprint,
        ticket: storedTicket,
      });
    } catch (error) {
      // While waiting for an admin, a master restart must not end the wait.
      if (
        error instanceof AgentError &&
        error.transient &&
        Date.now() < deadline &&
        storedTicket === undefined
      ) {
        step('request-certificate', 'waiting', `master not reachable, retrying: ${error.message}`);
        await sleep(pollSeconds * 1000, options.signal);
        continue;
      }
      step('request-certificate', 'failed', (error as Error).message);
      throw error;
    }
    if (answer.statusCode === 0 && answer.cert !== undefined && answer.ca !== undefined) {
      step('verify', 'running');
      try {
        verifySignedAnswer({
          certPem: answer.cert,
          caPem: answer.ca,
          keyPem,
          cn,
          masterLeafPem: master.certPem,
        });
      } catch (error) {
        step('verify', 'failed', (error as Error).message);
        throw error;
      }
      await ctx.identity.saveCertificates(target, { certPem: answer.cert, caPem: answer.ca });
      // §3.1: the real agent deletes its ticket file after a successful update.
      await ctx.secrets.delete(targetSecretName(target, 'ticket'));
      step('verify', 'done', `signed by ${certificateCn(answer.ca) ?? 'the Icinga CA'}`);
      ctx.log.info('icinga pairing complete', { target, cn, endpoint: master.endpoint });
      return {
        target,
        state: 'paired',
        cn,
        endpoint: master.endpoint,
        masterFingerprint: master.fingerprint,
        requestFingerprint: fingerprint,
        certificateExpires: new Date(Date.now() + daysLeft(answer.cert) * 86_400_000).toISOString(),
        reused: false,
      };
    }
    if (answer.statusCode === 2) {
      const detail = `waiting for approval on the master: run '${signCommand}' there ('icinga2 ca list' shows ${fingerprint} for CN = ${cn})`;
      step('request-certificate', 'waiting', detail);
      if (Date.now() + pollSeconds * 1000 > deadline) {
        return {
          target,
          state: 'pending',
          cn,
          endpoint: master.endpoint,
          masterFingerprint: master.fingerprint,
          requestFingerprint: fingerprint,
          signCommand,
          reused: existing.keyPem !== undefined && options.replace !== true,
        };
      }
      await sleep(pollSeconds * 1000, options.signal);
      pollSeconds = Math.min(pollSeconds * 1.5, MAX_POLL_SECONDS);
      continue;
    }
    const error = refusal(answer, cn, fingerprint);
    step('request-certificate', 'failed', error.message);
    throw error;
  }
}

function refusal(answer: CertificateAnswer, cn: string, fingerprint: string): AgentError {
  const text = answer.error ?? `status ${answer.statusCode}`;
  if (/invalid ticket/i.test(text)) {
    return new AgentError(
      'unauthorized',
      `the master rejected the ticket for CN '${cn}' (${text}): generate it on the master with "icinga2 pki ticket --cn '${cn}'" (the CN is case-sensitive) and check that the master's TicketSalt did not change`,
      { field: 'ticket' },
    );
  }
  if (/declined/i.test(text)) {
    return new AgentError(
      'refused',
      `the master's administrator declined request ${fingerprint} for CN '${cn}' (${text}): 'icinga2 ca restore ${fingerprint}' on the master undoes that`,
    );
  }
  return new AgentError('refused', `the master refused to sign CN '${cn}': ${text}`);
}

export interface CertificateRequestArgs {
  host: string;
  port: number;
  endpoint: string;
  keyPem: string;
  certPem: string;
  /** Pairing: the pinned leaf fingerprint; renewal passes `caPem` instead. */
  pinned?: string;
  caPem?: string;
  ticket?: string;
}

/** One `pki::RequestCertificate` round trip on a fresh connection presenting `certPem` (§3.4). */
export async function requestCertificate(args: CertificateRequestArgs): Promise<CertificateAnswer> {
  const connection = await openConnection({
    host: args.host,
    port: args.port,
    servername: args.endpoint,
    keyPem: args.keyPem,
    certPem: args.certPem,
    ...(args.caPem === undefined ? {} : { caPem: args.caPem }),
    ...(args.pinned === undefined ? {} : { pinnedFingerprint: args.pinned }),
    maxPayload: ANONYMOUS_MAX_PAYLOAD,
  });
  try {
    connection.send(helloMessage());
    const response = await connection.request(
      requestCertificateMessage(randomUUID(), args.ticket),
      REQUEST_TIMEOUT_MS,
    );
    if (typeof response.error === 'string') {
      throw new AgentError(
        'protocol',
        `the master could not process the certificate request: ${response.error.split('\n')[0] ?? ''}`,
      );
    }
    const answer = parseCertificateAnswer(response.result);
    if (answer === undefined)
      throw new AgentError(
        'protocol',
        'the master answered pki::RequestCertificate without a status_code',
      );
    return answer;
  } finally {
    connection.close();
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new AgentError('timeout', 'pairing cancelled'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(
        new AgentError(
          'timeout',
          'pairing cancelled while waiting for approval: run the same command again to resume (the request stays pending on the master)',
        ),
      );
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Signed by the master: a CA and a certificate that is not our self-signed request (§3.6). */
export async function isPaired(ctx: AgentContext, name: string): Promise<boolean> {
  const files = await ctx.identity.readCertificates(name);
  return files.caPem !== undefined && files.certPem !== undefined && !isSelfSigned(files.certPem);
}
