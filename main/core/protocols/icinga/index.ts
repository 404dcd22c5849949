/**
 * The Icinga 2 agent module (issue #5): pairing, check results over the
 * cluster protocol (or REST), renewal, command endpoint. See README.md.
 */
import type { AgentHandlers } from '../../contract/index.ts';
import type { AgentContext } from '../../context.ts';
import type { IcingaStatus } from '../../contract/icinga.ts';
import { AgentError } from '../../contract/errors.ts';
import type { AgentModule, ModuleInstance } from '../../modules.ts';
import { targetSecretName } from '../../secrets.ts';
import type { TargetRecord } from '../../contract/targets.ts';
import { daysLeft, isSelfSigned, requestFingerprint } from './certs.ts';
import { IcingaClient, RENEW_BEFORE_DAYS } from './session-pool.ts';
import { icingaTargetConfigSchema } from './config.ts';
import { createIcingaDriver } from './driver.ts';
import { fetchMasterCertificate, pairIcinga } from './pairing.ts';
import { icingaSeed } from './seed.ts';
import { computeTicket } from './ticket.ts';

/** How long `getIcingaStatus` waits for a probe connection when no session runs in this process. */
const STATUS_PROBE_MS = 10_000;
/** §3.5 ADVICE: while a request waits for `icinga2 ca sign`, ask again every 10–60 s. */
const PENDING_POLL_MS = 30_000;

export interface IcingaModuleInstance extends ModuleInstance {
  /** The agent's Icinga sessions (tests open one without the daemon loop). */
  client: IcingaClient;
}

export function createIcingaModule(
  options: { pendingPollMs?: number } = {},
): AgentModule<IcingaModuleInstance> {
  return {
    name: 'icinga',
    seed: icingaSeed,
    create(ctx) {
      const client = new IcingaClient(ctx);
      let running = false;
      return {
        client,
        handlers: createIcingaHandlers(ctx, client, () => running),
        drivers: [createIcingaDriver(client)],
        async run(signal) {
          running = true;
          client.keepProcessAlive = true;
          for (const record of ctx.targets.list()) {
            if (record.kind === 'icinga' && !record.paused && (await isPaired(ctx, record.name)))
              client.session(record);
          }
          // Pending targets (on-demand signing) connect as soon as the admin signed.
          const poll = setInterval(() => {
            for (const record of ctx.targets.list()) {
              if (record.kind !== 'icinga' || record.paused) continue;
              void client
                .pollPending(record.name)
                .then((signed) => {
                  // A session may already exist (a delivery started it) and be waiting to retry.
                  if (signed && running) client.restartSession(ctx.targets.get(record.name));
                })
                .catch((error: unknown) =>
                  ctx.log.debug('icinga pending request not signed yet', {
                    target: record.name,
                    error: (error as Error).message,
                  }),
                );
            }
          }, options.pendingPollMs ?? PENDING_POLL_MS);
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else signal.addEventListener('abort', () => resolve(), { once: true });
          });
          clearInterval(poll);
          running = false;
          client.keepProcessAlive = false;
          await client.stopAll();
        },
        close: () => client.stopAll(),
      };
    },
  };
}

async function isPaired(ctx: AgentContext, name: string): Promise<boolean> {
  const files = await ctx.identity.readCertificates(name);
  return files.caPem !== undefined && files.certPem !== undefined && !isSelfSigned(files.certPem);
}

function icingaTarget(ctx: AgentContext, name: string): TargetRecord {
  const record = ctx.targets.get(name, 'name');
  if (record.kind !== 'icinga') {
    throw new AgentError(
      'invalid-request',
      `target '${name}' is a ${record.kind} target, not an Icinga one`,
      { field: 'name' },
    );
  }
  return record;
}

export function createIcingaHandlers(
  ctx: AgentContext,
  client: IcingaClient,
  running: () => boolean,
): Partial<AgentHandlers> {
  return {
    async fetchIcingaMasterCertificate({ host, port }) {
      const { certPem: _pem, ...info } = await fetchMasterCertificate(host, port);
      return info;
    },

    async pairIcinga(request) {
      const result = await pairIcinga(ctx, {
        target: request.name,
        host: request.host,
        port: request.port,
        trustFingerprint: request.trustFingerprint,
        waitSeconds: request.waitSeconds,
        replace: request.replace,
        ...(request.cn === undefined ? {} : { cn: request.cn }),
        ...(request.zone === undefined ? {} : { zone: request.zone }),
        ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
        ...(request.pollSeconds === undefined ? {} : { pollSeconds: request.pollSeconds }),
      });
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
      const config = icingaTargetConfigSchema.parse(record.config);
      const files = await ctx.identity.readCertificates(name);
      const paired = await isPaired(ctx, name);
      let probed = false;
      if (probe && paired && config.transport === 'cluster' && !client.hasSession(name)) {
        probed = true;
        try {
          await client.session(record).ready(STATUS_PROBE_MS);
        } catch {
          // the status below carries the error
        }
      }
      const status = client.status(record);
      if (probed) await client.stop(name);
      const pin = await ctx.identity.pin(name);
      const out: IcingaStatus = {
        target: name,
        transport: config.transport,
        host: config.host,
        port: config.port,
        endpoint: config.endpoint,
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
      if (pin !== undefined) out.masterPin = pin.value;
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
          out.pendingRequest = { fingerprint: fp, signCommand: `icinga2 ca sign ${fp}` };
        }
      }
      return out;
    },

    async setIcingaCommandPolicy({ name, policy, commands }) {
      const record = icingaTarget(ctx, name);
      const config = icingaTargetConfigSchema.parse(record.config);
      const next = {
        ...config,
        commandEndpoint: { policy, commands: commands ?? config.commandEndpoint.commands },
      };
      ctx.targets.save(name, 'icinga', next);
      ctx.log.info('icinga command endpoint policy changed', {
        target: name,
        enabled: policy.enabled,
        commands: Object.keys(next.commandEndpoint.commands),
      });
      return { name, policy: next.commandEndpoint.policy, commands: next.commandEndpoint.commands };
    },

    async setIcingaRest({ name, transport, restUser, restPassword }) {
      const record = icingaTarget(ctx, name);
      const config = icingaTargetConfigSchema.parse(record.config);
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

/** The module as the composition root (agent.ts) lists it. */
export const icingaModule: AgentModule<IcingaModuleInstance> = createIcingaModule();
