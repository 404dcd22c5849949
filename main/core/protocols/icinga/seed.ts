import { formatHostPort, parseHostPort, type HostPort } from '../../contract/host-port.ts';
import { toAgentError } from '../../contract/errors.ts';
import { ICINGA_MAX_MASTERS } from '../../contract/icinga.ts';
import type { SeedSection, SeedTarget } from '../../deploy/section.ts';
import {
  endpointName,
  named,
  seedError,
  seedList,
  seedTargetName,
} from '../../deploy/seed-values.ts';
import { normalizeFingerprint } from '../../identity/x509.ts';
import { targetSecretName } from '../../secrets.ts';
import { DEFAULT_PORT } from './config.ts';

/** One endpoint of the parent zone, with the fingerprint the seed pins for it (if any). */
export interface IcingaSeedMaster extends HostPort {
  fingerprint?: string;
}

export interface IcingaSeed extends SeedTarget {
  /** Every master of the parent zone, in the seed's order (HA zones have two, issue #18). */
  masters: IcingaSeedMaster[];
  cn?: string;
  secrets: { ticket?: string };
}

/**
 * The Icinga part of the installer seed (build/README.md). Icinga pairs over
 * the network (icinga2.md §3) through the module's own requests, with every
 * master of the parent zone (ICINGA_MASTER is a comma-separated list) and
 * each one's certificate pinned from ICINGA_FINGERPRINT (a list in the same
 * order) or, without it, on first use (each fingerprint is logged and shown).
 * A master that cannot be reached is retried at the next start.
 */
export const icingaSeed: SeedSection<IcingaSeed> = {
  kind: 'icinga',
  protocol: 'Icinga',
  lead: 'ICINGA_MASTER',
  parameters: {
    ICINGA_MASTER: {
      description: `Icinga 2 master HOST[:PORT=${DEFAULT_PORT}], or every master of an HA parent zone: HOST[:PORT],HOST2[:PORT]`,
    },
    ICINGA_TICKET: {
      description: 'ticket from `icinga2 pki ticket --cn <CN>` (secret)',
      secret: true,
    },
    ICINGA_FINGERPRINT: {
      description:
        "SHA-256 fingerprint of each master's certificate (comma-separated, in ICINGA_MASTER's order), pinned instead of trusted on first use",
    },
    ICINGA_CN: { description: 'CN to request from the master (default AGENT_NAME)' },
    ICINGA_TARGET: { description: 'target name (default icinga)' },
  },

  parse(values) {
    const icinga: IcingaSeed = {
      target: seedTargetName(values.get('ICINGA_TARGET') ?? 'icinga', 'ICINGA_TARGET'),
      masters: parseMasters(values.get('ICINGA_MASTER')!, values.get('ICINGA_FINGERPRINT')),
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
    const cn = values.get('ICINGA_CN');
    if (cn !== undefined) icinga.cn = endpointName(cn, 'ICINGA_CN');
    return icinga;
  },

  async apply(s, { ctx, api, agentName }) {
    // A seed kept for a retry no longer holds the ticket: it is in the SecretStore since the first attempt.
    const ticket =
      s.secrets.ticket ?? (await ctx.secrets.get(targetSecretName(s.target, 'ticket')));
    const cn = s.cn ?? agentName;
    try {
      const masters: Array<HostPort & { trustFingerprint: string }> = [];
      const trustedOnFirstUse: string[] = [];
      for (const master of s.masters) {
        const { host, port } = master;
        if (master.fingerprint !== undefined) {
          masters.push({ host, port, trustFingerprint: master.fingerprint });
          continue;
        }
        const certificate = await api.fetchIcingaMasterCertificate({ host, port });
        masters.push({ host, port, trustFingerprint: certificate.fingerprint });
        trustedOnFirstUse.push(
          `master certificate of ${formatHostPort(master)} ${certificate.fingerprintSpaced} trusted on first use`,
        );
        ctx.log.warn('Icinga master certificate trusted on first use: no ICINGA_FINGERPRINT', {
          target: s.target,
          master: formatHostPort(master),
          endpoint: certificate.endpoint,
          fingerprint: certificate.fingerprintSpaced,
        });
      }
      const result = await api.pairIcinga({
        name: s.target,
        masters,
        waitSeconds: 0,
        ...(cn === undefined ? {} : { cn }),
        ...(ticket === undefined ? {} : { ticket }),
      });
      const pinned =
        trustedOnFirstUse.length === 0
          ? ''
          : ` (${trustedOnFirstUse.join('; ')}: no ICINGA_FINGERPRINT was given)`;
      const addresses = s.masters.map(formatHostPort).join(', ');
      const detail =
        result.state === 'paired'
          ? `paired with ${addresses} as ${result.cn}${pinned}`
          : `certificate request for ${result.cn} waits for the master's admin: ${result.signCommand ?? 'icinga2 ca sign'}${pinned}`;
      return { outcome: 'created', detail };
    } catch (error) {
      const agentError = toAgentError(error);
      if (!agentError.transient) throw agentError;
      return { outcome: 'retry', detail: `${agentError.message} (retried at the next start)` };
    }
  },
};

/**
 * ICINGA_MASTER's endpoints with ICINGA_FINGERPRINT's pins: one fingerprint
 * per master in the same order, or none (each trusted on first use). A
 * fingerprint cannot stand for several masters: each has its own certificate.
 */
function parseMasters(
  masterValue: string,
  fingerprintValue: string | undefined,
): IcingaSeedMaster[] {
  const addresses = seedList(masterValue, 'ICINGA_MASTER');
  if (addresses.length > ICINGA_MAX_MASTERS)
    throw seedError(
      'ICINGA_MASTER',
      `lists ${addresses.length} masters: a parent zone has at most ${ICINGA_MAX_MASTERS} here`,
    );
  const seen = new Set<string>();
  const masters: IcingaSeedMaster[] = addresses.map((address) => {
    const master = parseHostPort(address, DEFAULT_PORT, 'ICINGA_MASTER');
    const key = formatHostPort({ host: master.host.toLowerCase(), port: master.port });
    if (seen.has(key))
      throw seedError('ICINGA_MASTER', `${key} is listed twice: give each master of the zone once`);
    seen.add(key);
    return master;
  });
  if (fingerprintValue === undefined) return masters;
  const fingerprints = seedList(fingerprintValue, 'ICINGA_FINGERPRINT');
  if (fingerprints.length !== masters.length)
    throw seedError(
      'ICINGA_FINGERPRINT',
      `gives ${count(fingerprints.length, 'fingerprint')} for ${count(masters.length, 'master')}: give one per ICINGA_MASTER entry, comma-separated in the same order, or none to trust each master on first use`,
    );
  return masters.map((master, i) => ({
    ...master,
    fingerprint: named('ICINGA_FINGERPRINT', () =>
      normalizeFingerprint(fingerprints[i]!, 'ICINGA_FINGERPRINT'),
    ),
  }));
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
