/** The Icinga contract methods (contract/icinga.ts): thin, over pairing.ts and the session pool. */
import type { AgentHandlers } from '../../contract/index.ts';
import type { AgentContext } from '../../context.ts';
import type { IcingaCommandEndpoint, IcingaStatus } from '../../contract/icinga.ts';
import { AgentError } from '../../contract/errors.ts';
import { targetSecretName } from '../../secrets.ts';
import type { TargetRecord } from '../../contract/targets.ts';
import { daysLeft, isSignedIdentity, requestFingerprint } from './certs.ts';
import { IcingaClient, RENEW_BEFORE_DAYS } from './session-pool.ts';
import { patchCommandEndpoint, type CommandEndpointConfig } from './command-endpoint.ts';
import type { IcingaTargetConfig } from './config.ts';
import { fetchMasterCertificate, pairIcinga } from './pairing.ts';
import { computeTicket } from './ticket.ts';
import { masterPins } from './pairing.ts';
import { normalizeFingerprint } from '../../identity/x509.ts';

/** How long `getIcingaStatus` waits for a probe connection when no session runs in this process. */
const STATUS_PROBE_MS = 10_000;

/** The target with its config read through the driver's schema (icingaTargetConfigSchema). */
function icingaTarget(ctx: AgentContext, name: string): TargetRecord<IcingaTargetConfig> {
  return ctx.targets.getOfKind<IcingaTargetConfig>(name, 'icinga');
}

export function createIcingaHandlers(
  ctx: AgentContext,
  client: IcingaClient,
  running: () => boolean,
): Partial<AgentHandlers> {
  /**
   * Reads, changes and saves a target's command endpoint with nothing awaited
   * in between, so changes asked for at the same time all land.
   */
  function changeCommandEndpoint(
    name: string,
    change: (current: CommandEndpointConfig) => CommandEndpointConfig,
  ): IcingaCommandEndpoint {
    const { config } = icingaTarget(ctx, name);
    const { policy, commands } = change(config.commandEndpoint);
    ctx.targets.save(name, 'icinga', { ...config, commandEndpoint: { policy, commands } });
    ctx.log.info('icinga command endpoint policy changed', {
      target: name,
      enabled: policy.enabled,
      commands: Object.keys(commands),
    });
    return { name, policy, commands };
  }

  return {
    async fetchIcingaMasterCertificate({ host, port }) {
      const { certPem: _pem, ...info } = await fetchMasterCertificate(host, port);
      return info;
    },

    async pairIcinga(request) {
      const result = await pairIcinga(ctx, {
        target: request.name,
        // The request schema holds either the masters list or host and trustFingerprint.
        masters: request.masters ?? [
          { host: request.host!, port: request.port, trustFingerprint: request.trustFingerprint! },
        ],
        waitSeconds: request.waitSeconds,
        replace: request.replace,
        ...(request.cn === undefined ? {} : { cn: request.cn }),
        ...(request.zone === undefined ? {} : { zone: request.zone }),
        ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
        ...(request.pollSeconds === undefined ? {} : { pollSeconds: request.pollSeconds }),
        onPending: (pending) => client.recordPendingRequest(request.name, pending),
      });
      if (result.state === 'paired') client.recordPendingRequest(request.name, undefined);
      // A running agent (re)connects with the new identity at once.
      if (result.state === 'paired' && running()) {
        await client.stop(request.name);
        client.session(ctx.targets.get(request.name));
      }
      return result;
    },

    async computeIcingaTicket({ cn, salt }) {
      return { cn, ticket: await computeTicket(cn, salt) };
    },

    async getIcingaStatus({ name, probe }) {
      const record = icingaTarget(ctx, name);
      const { config } = record;
      const files = await ctx.identity.readCertificates(name);
      const paired = isSignedIdentity(files);
      let probed = false;
      if (probe && paired && config.transport === 'cluster' && !client.hasSession(name)) {
        probed = true;
        // Each master connects or fails once: the status below carries each one's state and error.
        await client.session(record).settled(STATUS_PROBE_MS);
      }
      const status = client.status(record);
      const perMaster = client.masterStatus(record);
      if (probed) await client.stop(name);
      const pins = await masterPins(ctx, name, config.masters);
      const first = config.masters[0]!;
      const out: IcingaStatus = {
        target: name,
        transport: config.transport,
        host: first.host,
        port: first.port,
        endpoint: first.endpoint,
        masters: perMaster.map((m, i) => ({
          ...m,
          ...(pins[i] === undefined ? {} : { fingerprint: pins[i] }),
        })),
        cn: config.cn,
        zone: config.zone,
        paired,
        state: status.state,
        commandEndpoint: {
          enabled: config.commandEndpoint.policy.enabled,
          commands: Object.keys(config.commandEndpoint.commands),
        },
      };
      if (status.detail !== undefined) out.detail = status.detail;
      if (status.lastError !== undefined) out.lastError = status.lastError;
      if (status.lastDeliveryAt !== undefined) out.lastConfirmedAt = status.lastDeliveryAt;
      if (pins[0] !== undefined) out.masterPin = normalizeFingerprint(pins[0]);
      if (files.certPem !== undefined) {
        if (paired) {
          const left = daysLeft(files.certPem);
          out.certificate = {
            notAfter: new Date(Date.now() + left * 86_400_000).toISOString(),
            daysLeft: Math.floor(left),
            fingerprint: requestFingerprint(files.certPem),
            renewDue: left < RENEW_BEFORE_DAYS,
          };
        } else {
          const fp = requestFingerprint(files.certPem);
          const heldBy = client.pendingRequestHolders(name, fp);
          out.pendingRequest = {
            fingerprint: fp,
            signCommand: `icinga2 ca sign ${fp}`,
            ...(heldBy === undefined || heldBy.length === 0 ? {} : { heldBy }),
          };
        }
      }
      return out;
    },

    async getIcingaCommandPolicy({ name }) {
      return { name, ...icingaTarget(ctx, name).config.commandEndpoint };
    },

    async setIcingaCommandPolicy({ name, policy, commands }) {
      return changeCommandEndpoint(name, (current) => ({
        policy,
        commands: commands ?? current.commands,
      }));
    },

    async patchIcingaCommandPolicy({ name, ...patch }) {
      return changeCommandEndpoint(name, (current) => patchCommandEndpoint(current, patch));
    },

    async setIcingaRest({ name, transport, restUser, restPassword }) {
      const { config } = icingaTarget(ctx, name);
      if (restPassword !== undefined && restUser === undefined) {
        throw new AgentError('invalid-request', 'restPassword needs restUser (the ApiUser name)', {
          field: 'restUser',
        });
      }
      const { restUser: _old, ...rest } = config;
      const next = { ...rest, transport, ...(restUser === undefined ? {} : { restUser }) };
      if (restPassword !== undefined)
        await ctx.secrets.set(targetSecretName(name, 'password'), restPassword);
      else if (restUser === undefined) await ctx.secrets.delete(targetSecretName(name, 'password'));
      ctx.targets.save(name, 'icinga', next);
      if (transport === 'rest') await client.stop(name);
      return { name, transport, ...(restUser === undefined ? {} : { restUser }) };
    },
  };
}
