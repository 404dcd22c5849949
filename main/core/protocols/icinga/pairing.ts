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
import { commonName, normalizeFingerprint } from '../../identity/x509.ts';
import { targetSecretName } from '../../secrets.ts';
import {
  certificateCn,
  daysLeft,
  isSelfSigned,
  isSignedIdentity,
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
import {
  describeMasters,
  icingaTargetConfigSchema,
  type IcingaMaster,
  type IcingaTargetConfig,
} from './config.ts';
import { formatHostPort } from '../../contract/host-port.ts';
import { openConnection } from './connection.ts';
import { normalizeTicket } from './ticket.ts';
import { type MasterCertificateInfo, type PairResult } from '../../contract/icinga.ts';
import type { Pin } from '../../contract/identity.ts';

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

/** One master to pair with: its address and the fingerprint the user confirmed for it. */
export interface MasterToPair {
  host: string;
  port: number;
  /** The fingerprint the user confirmed (or was given by the master's admin). */
  trustFingerprint: string;
}

interface PairSettings {
  target: string;
  /** Our endpoint name; default settings agent.name or the machine's host name, lower-cased. */
  cn?: string;
  zone?: string;
  ticket?: string;
  /** How long to keep polling while the request is pending (0: ask once). */
  waitSeconds: number;
  pollSeconds?: number;
  /** Drop the existing key/certificate of this target and start with a new identity. */
  replace?: boolean;
  signal?: AbortSignal;
  /** Told each time the request is left pending: which masters hold it (`outpost icinga status` names them). */
  onPending?: (pending: PendingRequestHolders) => void;
}

/** A pending request (its fingerprint) and what each master answered the last time it was asked. */
export interface PendingRequestHolders {
  fingerprint: string;
  holders: string[];
  unreachable: string[];
}

/**
 * One master (`host`, `port`, `trustFingerprint`), or every endpoint of the
 * parent zone in `masters` (HA, issue #18), in order of preference.
 */
export type PairOptions = PairSettings & (MasterToPair | { masters: readonly MasterToPair[] });

export function defaultEndpointName(ctx: AgentContext): string {
  const fromSettings = ctx.settings.read().agent.name;
  return (
    fromSettings !== undefined && fromSettings !== '' ? fromSettings : hostname()
  ).toLowerCase();
}

/** RSA bits of a new agent key for Icinga (§3.7: `node setup` uses 4096). */
export const ICINGA_KEY_BITS = 4096;

/**
 * The pinned leaf fingerprint (lower-case hex) of each master, in order:
 * from the target's config, or for a target paired (or imported) before HA
 * parents from the identity store's one pin, which belongs to the master
 * named in its subject (the first master when it names none).
 */
export async function masterPins(
  ctx: AgentContext,
  target: string,
  masters: readonly IcingaMaster[],
): Promise<Array<string | undefined>> {
  const stored = masters.every((m) => m.fingerprint !== undefined)
    ? undefined
    : await ctx.identity.pin(target);
  return pinsOfMasters(masters, stored);
}

/** {@link masterPins} given the identity store's pin of the target (if any). */
export function pinsOfMasters(
  masters: readonly IcingaMaster[],
  stored: Pick<Pin, 'value' | 'subject'> | undefined,
): Array<string | undefined> {
  const storedCn = stored?.subject === undefined ? undefined : commonName(stored.subject);
  return masters.map((m, i) => {
    if (m.fingerprint !== undefined) return m.fingerprint;
    if (stored === undefined) return undefined;
    const owner = storedCn === undefined ? i === 0 : storedCn === m.endpoint;
    return owner ? stored.value.replace(/:/g, '').toLowerCase() : undefined;
  });
}

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
  const toPair = 'masters' in options ? options.masters : [options];
  if (toPair.length === 0)
    throw new AgentError('invalid-request', 'masters must list at least one Icinga master', {
      field: 'masters',
    });
  const ticket =
    options.ticket === undefined || options.ticket.trim() === ''
      ? undefined
      : normalizeTicket(options.ticket);

  // 1. Every master's certificate must be the confirmed one before we create or send anything (§3.2, §3.6).
  const masters: MasterCertificateInfo[] = [];
  for (const wanted of toPair) {
    masters.push(await confirmedMaster(wanted, step));
  }
  const endpoints = new Set<string>();
  for (const m of masters) {
    if (endpoints.has(m.endpoint))
      throw new AgentError(
        'invalid-request',
        `two of the masters given are the same endpoint '${m.endpoint}' (${describeMasters(masters.filter((x) => x.endpoint === m.endpoint))}): give each master of the zone once`,
        { field: 'masters' },
      );
    endpoints.add(m.endpoint);
  }
  const leaves = masters.map((m) => ({ endpoint: m.endpoint, certPem: m.certPem }));
  const primary = masters[0]!;

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
  const {
    host: _h,
    port: _p,
    endpoint: _e,
    masters: _m,
    ...kept
  } = (ctx.targets.find(target)?.config ?? {}) as Record<string, unknown>;
  // Each master with the fingerprint pinned for it: what the target keeps and what the result names.
  const pinnedMasters = masters.map((m) => ({
    host: m.host,
    port: m.port,
    endpoint: m.endpoint,
    fingerprint: m.fingerprint,
  }));
  const config: IcingaTargetConfig = icingaTargetConfigSchema.parse({
    ...kept,
    masters: pinnedMasters,
    cn,
    zone,
  });
  // The identity store keeps the first master's pin (what a target paired before HA parents had).
  const pinPrimary = (): Promise<unknown> =>
    ctx.identity.setPin({
      target,
      kind: 'tls-sha256',
      value: normalizeFingerprint(primary.fingerprint),
      subject: primary.subject,
    });
  const result = (
    state: PairResult['state'],
    request: string,
    reused: boolean,
    extra: Partial<PairResult> = {},
  ): PairResult => ({
    target,
    state,
    cn,
    endpoint: primary.endpoint,
    masterFingerprint: primary.fingerprint,
    masters: pinnedMasters,
    requestFingerprint: request,
    reused,
    ...extra,
  });
  if (
    keyPem !== undefined &&
    certPem !== undefined &&
    existing.caPem !== undefined &&
    !isSelfSigned(certPem)
  ) {
    // Already signed: re-pairing keeps the identity (the master would answer "valid and uptodate").
    verifySignedAnswer({ certPem, caPem: existing.caPem, keyPem, cn, masterLeaves: leaves });
    await pinPrimary();
    ctx.targets.save(target, 'icinga', config);
    step('agent-certificate', 'done', 'already signed by the master: kept');
    return result('paired', requestFingerprint(certPem), true, {
      certificateExpires: new Date(Date.now() + daysLeft(certPem) * 86_400_000).toISOString(),
    });
  }
  if (keyPem === undefined) {
    keyPem = (await generateRsaKeyPair(ICINGA_KEY_BITS)).privateKeyPem;
    certPem = undefined;
  }
  certPem ??= makeSelfSignedCertificate(keyPem, cn);
  await ctx.identity.saveCertificates(target, { keyPem, certPem });
  await pinPrimary();
  ctx.targets.save(target, 'icinga', config);
  if (ticket !== undefined) await ctx.secrets.set(targetSecretName(target, 'ticket'), ticket);
  const fingerprint = requestFingerprint(certPem);
  step('agent-certificate', 'done', `CN=${cn}, request fingerprint ${fingerprint}`);

  // 3. pki::RequestCertificate, polling while pending (§3.4, §3.5), to every master until one signs.
  const storedTicket = ticket ?? (await ctx.secrets.get(targetSecretName(target, 'ticket')));
  const deadline = Date.now() + options.waitSeconds * 1000;
  let pollSeconds = options.pollSeconds ?? DEFAULT_POLL_SECONDS;
  for (;;) {
    step(
      'request-certificate',
      'running',
      storedTicket === undefined ? 'without ticket (on-demand signing)' : 'with ticket',
    );
    let outcome: ZoneAnswer;
    try {
      outcome = await askEveryMaster(
        masters.map((m) => ({ ...m, pinned: m.fingerprint })),
        { keyPem, certPem, ...(storedTicket === undefined ? {} : { ticket: storedTicket }) },
      );
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
    if (outcome.state === 'signed') {
      const { cert, ca } = outcome;
      step('verify', 'running');
      try {
        verifySignedAnswer({
          certPem: cert,
          caPem: ca,
          keyPem,
          cn,
          masterLeaves: leaves,
        });
      } catch (error) {
        step('verify', 'failed', (error as Error).message);
        throw error;
      }
      await ctx.identity.saveCertificates(target, { certPem: cert, caPem: ca });
      // §3.1: the real agent deletes its ticket file after a successful update.
      await ctx.secrets.delete(targetSecretName(target, 'ticket'));
      step(
        'verify',
        'done',
        `signed by ${certificateCn(ca) ?? 'the Icinga CA'} through ${outcome.master}`,
      );
      ctx.log.info('icinga pairing complete', { target, cn, endpoint: outcome.master });
      return result('paired', fingerprint, false, {
        certificateExpires: new Date(Date.now() + daysLeft(cert) * 86_400_000).toISOString(),
      });
    }
    if (outcome.state === 'pending') {
      const signCommand = `icinga2 ca sign ${fingerprint}`;
      const detail = `waiting for approval on the master ${outcome.holders.join(' or ')}: run '${signCommand}' there ('icinga2 ca list' shows ${fingerprint} for CN = ${cn})`;
      options.onPending?.({ fingerprint, ...outcome });
      step('request-certificate', 'waiting', detail);
      if (Date.now() + pollSeconds * 1000 > deadline) {
        return result(
          'pending',
          fingerprint,
          existing.keyPem !== undefined && options.replace !== true,
          { signCommand, signOn: outcome.holders[0]! },
        );
      }
      await sleep(pollSeconds * 1000, options.signal);
      pollSeconds = Math.min(pollSeconds * 1.5, MAX_POLL_SECONDS);
      continue;
    }
    const error = refusal(outcome.answer, cn, fingerprint);
    step('request-certificate', 'failed', error.message);
    throw error;
  }
}

/** §3.2: fetch one master's leaf and compare it with the fingerprint the user confirmed for it. */
async function confirmedMaster(
  wanted: MasterToPair,
  step: (name: string, status: 'running' | 'done' | 'failed', detail?: string) => void,
): Promise<MasterCertificateInfo> {
  const trusted = normalizeFingerprint(wanted.trustFingerprint, 'trustFingerprint')
    .replace(/:/g, '')
    .toLowerCase();
  step('fetch-master-certificate', 'running', formatHostPort(wanted));
  let master: MasterCertificateInfo;
  try {
    master = await fetchMasterCertificate(wanted.host, wanted.port);
  } catch (error) {
    step('fetch-master-certificate', 'failed', (error as Error).message);
    throw error;
  }
  if (master.fingerprint !== trusted) {
    const message = `the master at ${formatHostPort(wanted)} presented SHA-256 ${master.fingerprintSpaced}, not the trusted ${spacedFingerprint(trusted)}: refusing to pair (nothing was sent). Compare with 'openssl x509 -in /var/lib/icinga2/certs/${master.endpoint}.crt -noout -fingerprint -sha256' on the master`;
    step('fetch-master-certificate', 'failed', message);
    throw new AgentError('untrusted-peer', message, { field: 'trustFingerprint' });
  }
  step(
    'fetch-master-certificate',
    'done',
    `${master.subject} at ${formatHostPort(wanted)} SHA-256 ${master.fingerprintSpaced}`,
  );
  return master;
}

/** A master of the parent zone to send the certificate request to, with its pinned leaf fingerprint. */
export interface MasterToAsk {
  host: string;
  port: number;
  endpoint: string;
  pinned: string;
}

/** What the masters of the zone answered one certificate request (§3.4, §3.5). */
export type ZoneAnswer =
  | {
      state: 'signed';
      /** Our signed certificate and the CA, still to be checked (§3.6). */
      cert: string;
      ca: string;
      /** The endpoint that answered. */
      master: string;
    }
  | { state: 'refused'; answer: CertificateAnswer; master: string }
  | {
      state: 'pending';
      /** Endpoints that answered "pending": each holds the request, `icinga2 ca sign` runs on any. */
      holders: string[];
      /** Endpoints that could not be reached this time. */
      unreachable: string[];
    };

/**
 * The certificate request to every master of the zone in order, until one
 * answers with the signed certificate or a refusal (issue #18). A master
 * answering "pending" does not end the round: the admin may have signed the
 * request on another master (one that took it while the first was down),
 * and masters that are not connected to each other do not share requests,
 * so the first would answer "pending" forever. Transient when none answered.
 */
export async function askEveryMaster(
  masters: readonly MasterToAsk[],
  request: { keyPem: string; certPem: string; ticket?: string },
): Promise<ZoneAnswer> {
  const failures: string[] = [];
  const holders: string[] = [];
  const unreachable: string[] = [];
  for (const master of masters) {
    let answer: CertificateAnswer;
    try {
      answer = await requestCertificate({ ...master, ...request });
    } catch (error) {
      if (!(error instanceof AgentError) || !error.transient || masters.length === 1) throw error;
      failures.push(`${master.endpoint}: ${error.message}`);
      unreachable.push(master.endpoint);
      continue;
    }
    if (answer.statusCode === 2) {
      holders.push(master.endpoint);
      continue;
    }
    if (answer.statusCode === 0 && answer.cert !== undefined && answer.ca !== undefined)
      return { state: 'signed', cert: answer.cert, ca: answer.ca, master: master.endpoint };
    return { state: 'refused', answer, master: master.endpoint };
  }
  if (holders.length > 0) return { state: 'pending', holders, unreachable };
  throw new AgentError(
    'unreachable',
    `no master of the parent zone answered the certificate request: ${failures.join('; ')}`,
    { transient: true },
  );
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
  return isSignedIdentity(await ctx.identity.readCertificates(name));
}
