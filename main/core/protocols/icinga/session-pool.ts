/**
 * What the agent calls for Icinga targets: one session per paired target,
 * check result delivery (cluster or REST), renewal (§3.8), command endpoint
 * (§4.6) and status.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inBackground } from '../../background.ts';
import { asEpochSeconds } from '../../clock.ts';
import type { AgentContext } from '../../context.ts';
import { AgentError } from '../../contract/errors.ts';
import { writeFileAtomic } from '../../fsutil.ts';
import type { CheckResultPayload } from '../../contract/queue-items.ts';
import { targetSecretName } from '../../secrets.ts';
import type { TargetRecord, TargetStatus } from '../../contract/targets.ts';
import {
  daysLeft,
  isSelfSigned,
  isSignedIdentity,
  requestFingerprint,
  verifySignedAnswer,
} from './certs.ts';
import { executeCommand } from './command-endpoint.ts';
import {
  checkResultParams,
  parseCertificateAnswer,
  parseExecuteCommand,
  requestCertificateMessage,
  toIcingaState,
  type CertificateAnswer,
  type RpcMessage,
} from './codec.ts';
import {
  describeMasters,
  icingaTargetConfigSchema,
  type IcingaMaster,
  type IcingaTargetConfig,
} from './config.ts';
import { askEveryMaster, masterPins, type PendingRequestHolders } from './pairing.ts';
import { postCheckResult, type RestTarget } from './rest.ts';
import { IcingaSession, type SessionTls } from './session.ts';
import { ZoneLog } from './zone-log.ts';
import { ZoneSessions, type MasterSessionStatus } from './zone-sessions.ts';

/** §3.8: renewal is possible (and requested) once fewer than 30 days remain. */
export const RENEW_BEFORE_DAYS = 30;
/** §3.8: a real agent asks once a day (RENEW_INTERVAL). */
const RENEW_CHECK_INTERVAL_MS = 24 * 3600_000;
/** How long a delivery waits for the session to (re)connect before it is retried later by the queue. */
export const CONNECT_WAIT_MS = 20_000;

interface SessionState {
  lastTs: number;
  lastConfirmedAt?: number;
  /** §3.5: the request waiting for `icinga2 ca sign` and the masters that hold it (issue #18). */
  pendingRequest?: { fingerprint: string; heldBy: string[] };
}

/** What #restTarget builds each master's REST credentials from (read once per delivery). */
interface RestCredentials {
  files: { certPem?: string; keyPem?: string; caPem?: string };
  /** A key and a certificate signed by the master's CA (not our self-signed request). */
  signed: boolean;
  /** Each master's pinned leaf fingerprint: read only when not signed (the CA verifies then). */
  pins?: Array<string | undefined>;
  /** The ApiUser's password when the target has a restUser (undefined: none stored). */
  password?: string | undefined;
}

export class IcingaClient {
  readonly ctx: AgentContext;
  readonly #sessions = new Map<string, ZoneSessions>();
  readonly #renewTimers = new Map<string, NodeJS.Timeout>();
  readonly #stateWrites = new Map<string, Promise<void>>();
  readonly #renewing = new Set<string>();
  /** True under `run()` (the daemon); one-shot processes must be able to exit with a session open. */
  keepProcessAlive = false;

  constructor(ctx: AgentContext) {
    this.ctx = ctx;
  }

  config(record: TargetRecord): IcingaTargetConfig {
    return icingaTargetConfigSchema.parse(record.config);
  }

  /**
   * The running sessions of a target, started on first use: one connection
   * per endpoint of the parent zone (§2.5; every master of an HA zone, issue #18).
   */
  session(record: TargetRecord): ZoneSessions {
    const existing = this.#sessions.get(record.name);
    if (existing !== undefined) return existing;
    const config = this.config(record);
    const log = this.ctx.log.child(`icinga:${record.name}`);
    const state = this.#readState(record.name);
    const zone: ZoneSessions = new ZoneSessions(
      config.masters,
      new ZoneLog(state.lastTs),
      (master, hooks) =>
        new IcingaSession({
          host: master.host,
          port: master.port,
          endpoint: master.endpoint,
          zone: config.zone,
          log: config.masters.length === 1 ? log : log.child(master.endpoint),
          ...hooks,
          saveTs: (ts) => {
            this.#writeState(record.name, {
              ...this.#readState(record.name),
              lastTs: ts,
              ...(zone.lastConfirmedAt === undefined
                ? {}
                : { lastConfirmedAt: zone.lastConfirmedAt }),
            });
          },
          // §2.5: no ExecuteArbitraryCommand; command-endpoint checks need no bit.
          capabilities: 0,
          keepProcessAlive: () => this.keepProcessAlive,
          loadTls: () => this.#loadTls(record.name),
          onState: (s, detail) => {
            const status = this.status(record);
            this.ctx.events.emit('target.state', {
              target: record.name,
              status: {
                state: status.state,
                ...(status.detail === undefined ? {} : { detail: status.detail }),
              },
            });
            log.debug('icinga session state', { endpoint: master.endpoint, state: s, detail });
          },
          onReady: (s) =>
            inBackground(log, 'icinga certificate renewal', () => this.#maybeRenew(record.name, s)),
          onMessage: (message, s) => this.#onMessage(record.name, message, s),
        }),
    );
    this.#sessions.set(record.name, zone);
    zone.start();
    const renewTimer = setInterval(() => {
      const current = this.#sessions.get(record.name);
      const ready = current?.readySession() ?? current?.sessions[0];
      if (ready !== undefined)
        inBackground(log, 'icinga certificate renewal', () => this.#maybeRenew(record.name, ready));
    }, RENEW_CHECK_INTERVAL_MS);
    // The session keeps a daemon alive; this timer never needs to.
    renewTimer.unref();
    this.#renewTimers.set(record.name, renewTimer);
    return zone;
  }

  /** Connects at once with the stored certificate (after pairing completed). */
  restartSession(record: TargetRecord): void {
    const existing = this.#sessions.get(record.name);
    if (existing === undefined) this.session(record);
    else existing.reconnect('certificate signed');
  }

  hasSession(name: string): boolean {
    return this.#sessions.has(name);
  }

  async stop(name: string): Promise<void> {
    const zone = this.#sessions.get(name);
    this.#sessions.delete(name);
    clearInterval(this.#renewTimers.get(name));
    this.#renewTimers.delete(name);
    await zone?.stop();
    // The sessions saved their last log position on stop(), and a delivery may
    // still record its confirmation: wait until the chain of writes stops
    // growing, so nothing lands after close.
    for (let write = this.#stateWrites.get(name); write !== undefined;) {
      await write;
      const next = this.#stateWrites.get(name);
      if (next === write) break;
      write = next;
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((name) => this.stop(name)));
  }

  /** Delivers one check result; resolves only once the master confirmed it (§4.4). */
  async deliverCheckResult(
    record: TargetRecord,
    result: CheckResultPayload,
    signal?: AbortSignal,
  ): Promise<void> {
    const config = this.config(record);
    if (config.transport === 'rest') {
      await this.#postToAnyMaster(record.name, config, result, signal);
      this.#recordConfirmed(record.name);
      return;
    }
    // A ready session proves the target is paired; otherwise look at the files (not per result: 6000/s).
    const files =
      this.#sessions.get(record.name)?.readySession() !== undefined
        ? undefined
        : await this.ctx.identity.readCertificates(record.name);
    if (files !== undefined && !isSignedIdentity(files)) {
      // Kept and retried: the running agent completes pairing once the admin signed (§3.5).
      const hint =
        files.certPem === undefined
          ? `pair it first ('outpost icinga pair ${record.name} …')`
          : `on the master run 'icinga2 ca sign ${requestFingerprint(files.certPem)}'`;
      throw new AgentError('unauthorized', `target '${record.name}' is not paired yet: ${hint}`, {
        transient: true,
      });
    }
    const { session, connection } = await this.session(record).ready(CONNECT_WAIT_MS, signal);
    if (session.zoneHosts !== undefined && !session.zoneHosts.has(result.host)) {
      // §4.3.3: the master would drop it silently ("Unauthorized access", debug log only).
      throw new AgentError(
        'refused',
        `host '${result.host}' is not in this agent's zone '${config.zone}' on the master (the zone holds ${[...session.zoneHosts].sort().join(', ')}): the master would discard the result. Put the host in zones.d/${config.zone}/ on the master or send it from the agent that owns it`,
      );
    }
    const isHost = result.service === undefined;
    const state = toIcingaState(result.state, isHost);
    const output =
      result.longOutput === undefined || result.longOutput === ''
        ? result.output
        : `${result.output}\n${result.longOutput}`;
    const params = checkResultParams({
      host: result.host,
      ...(result.service === undefined ? {} : { service: result.service }),
      state,
      exitStatus: result.state,
      output,
      performanceData: result.performanceData,
      checkSource: result.checkSource ?? config.cn,
      // checkResultPayloadSchema: Unix seconds, as §4.2 wants them.
      executionStart: asEpochSeconds(result.executionStart),
      executionEnd: asEpochSeconds(result.executionEnd),
      scheduleStart: asEpochSeconds(result.scheduleStart ?? result.executionStart),
      scheduleEnd: asEpochSeconds(result.executionEnd),
      active: false,
    });
    await session.confirmed('event::CheckResult', params, connection);
    this.#recordConfirmed(record.name);
  }

  status(record: TargetRecord): TargetStatus {
    const zone = this.#sessions.get(record.name);
    const state = this.#readState(record.name);
    const out: TargetStatus = { state: zone?.state ?? 'idle' };
    if (zone?.detail !== undefined) out.detail = zone.detail;
    if (zone?.lastError !== undefined) out.lastError = zone.lastError;
    const confirmed = zone?.lastConfirmedAt ?? state.lastConfirmedAt;
    if (confirmed !== undefined) out.lastDeliveryAt = confirmed;
    return out;
  }

  /** Each master's connection in this process; idle for every master when none runs. */
  masterStatus(record: TargetRecord): MasterSessionStatus[] {
    const zone = this.#sessions.get(record.name);
    if (zone !== undefined) return zone.masterStatus();
    return this.config(record).masters.map((m) => ({
      host: m.host,
      port: m.port,
      endpoint: m.endpoint,
      state: 'idle',
    }));
  }

  /**
   * §3.5: a pending target asks again with the same key and self-signed
   * certificate (same fingerprint, same request on the master) until the admin
   * signed it. True once signed and stored. With HA parents every reachable
   * master is asked until one has signed it (askEveryMaster), and the masters
   * holding the request are recorded for `getIcingaStatus`.
   */
  async pollPending(name: string): Promise<boolean> {
    const record = this.ctx.targets.get(name);
    const config = this.config(record);
    const files = await this.ctx.identity.readCertificates(name);
    if (files.keyPem === undefined || files.certPem === undefined || !isSelfSigned(files.certPem))
      return false;
    const ticket = await this.ctx.secrets.get(targetSecretName(name, 'ticket'));
    const pins = await masterPins(this.ctx, name, config.masters);
    const masters = config.masters.flatMap((m, i) =>
      pins[i] === undefined ? [] : [{ ...m, pinned: pins[i] }],
    );
    if (masters.length === 0) return false;
    const outcome = await askEveryMaster(masters, {
      keyPem: files.keyPem,
      certPem: files.certPem,
      ...(ticket === undefined ? {} : { ticket }),
    });
    if (outcome.state === 'pending') {
      this.recordPendingRequest(name, {
        fingerprint: requestFingerprint(files.certPem),
        ...outcome,
      });
      return false;
    }
    if (outcome.state === 'refused') return false;
    await this.#storeSignedAnswer(name, outcome, files.keyPem, config.cn);
    this.recordPendingRequest(name, undefined);
    this.ctx.events.emit('pairing.step', {
      target: name,
      kind: 'icinga',
      step: 'verify',
      status: 'done',
      detail: `signed by the master ${outcome.master}`,
    });
    this.ctx.events.emit('notice', {
      level: 'info',
      title: 'Icinga pairing complete',
      body: `${outcome.master} signed the certificate of ${config.cn}.`,
      target: name,
    });
    this.ctx.log.info('icinga pending request signed', { target: name, by: outcome.master });
    return true;
  }

  /**
   * Keeps which masters hold the target's pending request (undefined: none
   * pending any more). A master that could not be asked this time keeps the
   * request it took before: the admin can still sign it there.
   */
  recordPendingRequest(name: string, pending: PendingRequestHolders | undefined): void {
    const { pendingRequest: previous, ...state } = this.#readState(name);
    if (pending === undefined) {
      if (previous !== undefined) this.#writeState(name, state);
      return;
    }
    const kept =
      previous?.fingerprint === pending.fingerprint
        ? previous.heldBy.filter((m) => pending.unreachable.includes(m))
        : [];
    const order = this.config(this.ctx.targets.get(name)).masters.map((m) => m.endpoint);
    const heldBy = order.filter((m) => pending.holders.includes(m) || kept.includes(m));
    this.#writeState(name, {
      ...state,
      pendingRequest: { fingerprint: pending.fingerprint, heldBy },
    });
  }

  /** The masters holding the pending request `fingerprint`, in order of preference, when known. */
  pendingRequestHolders(name: string, fingerprint: string): string[] | undefined {
    const pending = this.#readState(name).pendingRequest;
    return pending?.fingerprint === fingerprint ? pending.heldBy : undefined;
  }

  /** REST fallback (§5) through the first master that takes the result; the next one when a master is unreachable. */
  async #postToAnyMaster(
    name: string,
    config: IcingaTargetConfig,
    result: CheckResultPayload,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const credentials = await this.#restCredentials(name, config);
    const failures: string[] = [];
    for (const [index, master] of config.masters.entries()) {
      try {
        await postCheckResult(
          this.#restTarget(name, config, credentials, master, index),
          result,
          config.cn,
          signal,
        );
        return;
      } catch (error) {
        if (!(error instanceof AgentError) || !error.transient || config.masters.length === 1)
          throw error;
        failures.push(`${master.endpoint}: ${error.message}`);
      }
    }
    throw new AgentError(
      'unreachable',
      `no master of the parent zone took the result over REST: ${failures.join('; ')}`,
      { transient: true },
    );
  }

  /**
   * What the REST fallback may authenticate with, read once per delivery
   * (certificate files, pins and the password are the same for every master):
   * #restTarget decides per master and names what is missing.
   */
  async #restCredentials(name: string, config: IcingaTargetConfig): Promise<RestCredentials> {
    const files = await this.ctx.identity.readCertificates(name);
    const signed = files.keyPem !== undefined && isSignedIdentity(files);
    return {
      files,
      signed,
      ...(signed ? {} : { pins: await masterPins(this.ctx, name, config.masters) }),
      ...(config.restUser === undefined
        ? {}
        : { password: await this.ctx.secrets.get(targetSecretName(name, 'password')) }),
    };
  }

  /** REST fallback credentials for `master` (the `index`th of the target's): our client certificate, or basic auth with the password from the SecretStore. */
  #restTarget(
    name: string,
    config: IcingaTargetConfig,
    { files, signed, pins, password }: RestCredentials,
    master: IcingaMaster,
    index: number,
  ): RestTarget {
    const out: RestTarget = { host: master.host, port: master.port, endpoint: master.endpoint };
    if (signed) {
      out.caPem = files.caPem;
      // §5: a verified client certificate wins over the Authorization header, so
      // present it only when it is the credential.
      if (config.restUser === undefined) {
        out.certPem = files.certPem;
        out.keyPem = files.keyPem;
      }
    } else {
      const pin = pins?.[index];
      if (pin === undefined)
        throw new AgentError(
          'untrusted-peer',
          `target '${name}' has neither a CA nor a pinned fingerprint of the master ${master.endpoint}: pair it first`,
        );
      out.pinnedFingerprint = pin;
    }
    if (config.restUser !== undefined) {
      if (password === undefined) {
        throw new AgentError(
          'unauthorized',
          `no REST password stored for target '${name}': set it again with the REST user`,
          { field: 'restPassword' },
        );
      }
      out.basicAuth = { user: config.restUser, password };
    } else if (!signed) {
      throw new AgentError(
        'unauthorized',
        `target '${name}' has no signed certificate and no REST user: give an ApiUser (restUser) or pair first`,
        { field: 'restUser' },
      );
    }
    return out;
  }

  async #loadTls(name: string): Promise<SessionTls> {
    const files = await this.ctx.identity.readCertificates(name);
    if (files.keyPem === undefined || !isSignedIdentity(files)) {
      throw new AgentError(
        'unauthorized',
        `target '${name}' is not paired yet (no signed certificate): finish pairing with 'outpost icinga pair ${name} …'`,
      );
    }
    return { keyPem: files.keyPem, certPem: files.certPem, caPem: files.caPem };
  }

  /** §3.8: over the authenticated connection, no ticket; the master re-signs once < 30 days remain. */
  async #maybeRenew(name: string, session: IcingaSession): Promise<void> {
    // Every master's connection becoming ready asks; one request at a time is enough.
    if (this.#renewing.has(name)) return;
    this.#renewing.add(name);
    try {
      const tls = await this.#loadTls(name);
      if (daysLeft(tls.certPem) >= RENEW_BEFORE_DAYS) return;
      const connection = await session.ready(CONNECT_WAIT_MS);
      this.ctx.log.info('icinga certificate expires soon: requesting renewal', {
        target: name,
        daysLeft: Math.floor(daysLeft(tls.certPem)),
      });
      const response = await connection.request(
        requestCertificateMessage(randomUUID(), undefined),
        CONNECT_WAIT_MS,
      );
      const answer = parseCertificateAnswer(response.result);
      if (answer === undefined)
        throw new AgentError(
          'protocol',
          `renewal answer without status: ${typeof response.error === 'string' ? response.error : ''}`,
        );
      await this.#applyCertificate(name, answer, session);
    } catch (error) {
      this.ctx.log.warn('icinga certificate renewal failed', {
        target: name,
        error: (error as Error).message,
      });
    } finally {
      this.#renewing.delete(name);
    }
  }

  /** pki::UpdateCertificate or a renewal answer: §3.6 checks, store, reconnect with the new certificate. */
  /** A signed answer (pairing poll or pki::UpdateCertificate) is stored only once it checks out; the ticket is then spent. */
  async #storeSignedAnswer(
    name: string,
    answer: { cert: string; ca: string },
    keyPem: string,
    cn: string,
  ): Promise<void> {
    verifySignedAnswer({ certPem: answer.cert, caPem: answer.ca, keyPem, cn });
    await this.ctx.identity.saveCertificates(name, { certPem: answer.cert, caPem: answer.ca });
    await this.ctx.secrets.delete(targetSecretName(name, 'ticket'));
  }

  async #applyCertificate(
    name: string,
    answer: CertificateAnswer,
    session: IcingaSession,
  ): Promise<void> {
    if (answer.statusCode !== 0 || answer.cert === undefined || answer.ca === undefined) {
      if (answer.error !== undefined)
        this.ctx.log.info('icinga certificate request answered', {
          target: name,
          status: answer.statusCode,
          message: answer.error,
        });
      return;
    }
    const files = await this.ctx.identity.readCertificates(name);
    if (files.keyPem === undefined || files.certPem === answer.cert) return;
    const config = this.config(this.ctx.targets.get(name));
    // A certificate for another subject/key is a forwarded answer for a child: not ours (§3.8).
    await this.#storeSignedAnswer(
      name,
      { cert: answer.cert, ca: answer.ca },
      files.keyPem,
      config.cn,
    );
    this.ctx.log.info('icinga certificate updated', {
      target: name,
      daysLeft: Math.floor(daysLeft(answer.cert)),
    });
    this.ctx.events.emit('notice', {
      level: 'info',
      title: 'Icinga certificate renewed',
      body: `The certificate of ${config.cn} for ${describeMasters(config.masters)} was renewed by ${session.options.endpoint}.`,
      target: name,
    });
    // Every master's connection presents the new certificate (§3.8: drop all connections).
    this.#sessions.get(name)?.reconnect('new certificate');
  }

  #onMessage(name: string, message: RpcMessage, session: IcingaSession): void {
    if (message.method === 'pki::UpdateCertificate') {
      const answer = parseCertificateAnswer(message.params);
      if (answer !== undefined) {
        void this.#applyCertificate(name, answer, session).catch((error: unknown) =>
          this.ctx.log.warn('icinga certificate update refused', {
            target: name,
            error: (error as Error).message,
          }),
        );
      }
      return;
    }
    if (message.method === 'event::ExecuteCommand') {
      inBackground(this.ctx.log.child(`icinga:${name}`), 'icinga ExecuteCommand', () =>
        this.#executeCommand(name, message, session),
      );
    }
    // config::UpdateObject, event::* replays and unknown methods: ignored, never a reason to disconnect (§2.5 table).
  }

  async #executeCommand(name: string, message: RpcMessage, session: IcingaSession): Promise<void> {
    const request = parseExecuteCommand(message.params);
    if (request === undefined) return;
    if (request.source !== undefined) {
      // execute-command API requests expect event::ExecutedCommand, which this agent does not implement.
      this.ctx.log.info('icinga execute-command API request ignored', {
        target: name,
        command: request.command,
      });
      return;
    }
    const config = this.config(this.ctx.targets.get(name));
    const fields = await executeCommand(
      request,
      config.commandEndpoint,
      config.cn,
      `Icinga master ${session.options.endpoint}`,
    );
    this.ctx.log.info('icinga ExecuteCommand answered', {
      target: name,
      command: request.command,
      host: request.host,
      service: request.service,
      state: fields.state,
    });
    // §4.6: the answer carries no ts (a real agent sends none).
    session.send({
      jsonrpc: '2.0',
      method: 'event::CheckResult',
      params: checkResultParams(fields),
    });
  }

  #recordConfirmed(name: string): void {
    const now = Date.now();
    const state = this.#readState(name);
    // Persisting every confirmation would cost a write per result: once a second is enough for `status`.
    if (state.lastConfirmedAt === undefined || now - state.lastConfirmedAt > 1000) {
      this.#writeState(name, {
        ...state,
        lastConfirmedAt: now,
        lastTs: Math.max(state.lastTs, this.#sessions.get(name)?.lastTs ?? 0),
      });
    }
  }

  #statePath(name: string): string {
    return join(dirname(this.ctx.identity.certificateFiles(name).certPath), 'session.json');
  }

  #cache = new Map<string, SessionState>();

  #readState(name: string): SessionState {
    const cached = this.#cache.get(name);
    if (cached !== undefined) return cached;
    let state: SessionState = { lastTs: 0 };
    try {
      state = {
        lastTs: 0,
        ...(JSON.parse(readFileSync(this.#statePath(name), 'utf8')) as Partial<SessionState>),
      };
    } catch {
      // first session of this target
    }
    this.#cache.set(name, state);
    return state;
  }

  #writeState(name: string, state: SessionState): void {
    this.#cache.set(name, state);
    const previous = this.#stateWrites.get(name) ?? Promise.resolve();
    const next = previous
      .then(() =>
        writeFileAtomic(this.#statePath(name), JSON.stringify(this.#cache.get(name)), 0o600),
      )
      .catch((error: unknown) =>
        this.ctx.log.warn('cannot save icinga session state', {
          target: name,
          error: (error as Error).message,
        }),
      );
    this.#stateWrites.set(name, next);
  }
}
