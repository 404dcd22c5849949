import { parseHostPort, type HostPort } from '../../contract/host-port.ts';
import { toAgentError } from '../../contract/errors.ts';
import type { SeedSection, SeedTarget } from '../../deploy/section.ts';
import { endpointName, named, seedError, seedTargetName } from '../../deploy/seed-values.ts';
import { normalizeFingerprint } from '../../identity/x509.ts';
import { targetSecretName } from '../../secrets.ts';
import { DEFAULT_PORT } from './config.ts';

export interface IcingaSeed extends SeedTarget {
  master: HostPort;
  fingerprint?: string;
  cn?: string;
  secrets: { ticket?: string };
}

/**
 * The Icinga part of the installer seed (build/README.md). Icinga pairs over
 * the network (icinga2.md §3) through the module's own requests, with the
 * master's certificate pinned from ICINGA_FINGERPRINT or, without it, on
 * first use (the fingerprint is logged and shown). A master that cannot be
 * reached is retried at the next start.
 */
export const icingaSeed: SeedSection<IcingaSeed> = {
  kind: 'icinga',
  protocol: 'Icinga',
  lead: 'ICINGA_MASTER',
  parameters: {
    ICINGA_MASTER: { description: `Icinga 2 master HOST[:PORT=${DEFAULT_PORT}]` },
    ICINGA_TICKET: {
      description: 'ticket from `icinga2 pki ticket --cn <CN>` (secret)',
      secret: true,
    },
    ICINGA_FINGERPRINT: {
      description:
        "SHA-256 fingerprint of the master's certificate, pinned instead of trusted on first use",
    },
    ICINGA_CN: { description: 'CN to request from the master (default AGENT_NAME)' },
    ICINGA_TARGET: { description: 'target name (default icinga)' },
  },

  parse(values) {
    const icinga: IcingaSeed = {
      target: seedTargetName(values.get('ICINGA_TARGET') ?? 'icinga', 'ICINGA_TARGET'),
      master: parseHostPort(values.get('ICINGA_MASTER')!, DEFAULT_PORT, 'ICINGA_MASTER'),
      secrets: {},
    };
    const ticket = values.get('ICINGA_TICKET');
    if (ticket !== undefined) {
      // icinga2.md §3: the ticket is hex(PBKDF2-HMAC-SHA1(cn, salt, 50000, 20)); the master compares it lowercased.
      const normalized = ticket.trim().toLowerCase();
      if (!/^[0-9a-f]{40}$/.test(normalized)) {
        throw seedError(
          'ICINGA_TICKET',
          'must be the 40 hex digits `icinga2 pki ticket --cn <CN>` prints',
        );
      }
      icinga.secrets = { ticket: normalized };
    }
    const fingerprint = values.get('ICINGA_FINGERPRINT');
    if (fingerprint !== undefined)
      icinga.fingerprint = named('ICINGA_FINGERPRINT', () =>
        normalizeFingerprint(fingerprint, 'ICINGA_FINGERPRINT'),
      );
    const cn = values.get('ICINGA_CN');
    if (cn !== undefined) icinga.cn = endpointName(cn, 'ICINGA_CN');
    return icinga;
  },

  async apply(s, { ctx, api, agentName }) {
    const { host, port } = s.master;
    // A seed kept for a retry no longer holds the ticket: it is in the SecretStore since the first attempt.
    const ticket =
      s.secrets.ticket ?? (await ctx.secrets.get(targetSecretName(s.target, 'ticket')));
    const cn = s.cn ?? agentName;
    try {
      let fingerprint = s.fingerprint;
      let pinnedOnFirstUse = '';
      if (fingerprint === undefined) {
        const master = await api.fetchIcingaMasterCertificate({ host, port });
        fingerprint = master.fingerprint;
        pinnedOnFirstUse = ` (master certificate ${master.fingerprintSpaced} trusted on first use: no ICINGA_FINGERPRINT was given)`;
      }
      const result = await api.pairIcinga({
        name: s.target,
        host,
        port,
        trustFingerprint: fingerprint,
        waitSeconds: 0,
        ...(cn === undefined ? {} : { cn }),
        ...(ticket === undefined ? {} : { ticket }),
      });
      const detail =
        result.state === 'paired'
          ? `paired with ${host}:${port} as ${result.cn}${pinnedOnFirstUse}`
          : `certificate request for ${result.cn} waits for the master's admin: ${result.signCommand ?? 'icinga2 ca sign'}${pinnedOnFirstUse}`;
      return { outcome: 'created', detail };
    } catch (error) {
      const agentError = toAgentError(error);
      if (!agentError.transient) throw agentError;
      return { outcome: 'retry', detail: `${agentError.message} (retried at the next start)` };
    }
  },
};
