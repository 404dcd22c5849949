import { z } from 'zod';
import {
  collectionPatchSchema,
  commandPolicyPatchShape,
  commandPolicySchema,
  type CommandPolicy,
} from './command-policy.ts';
import type { ConnectionState } from './targets.ts';
import type { ContractShape } from './define.ts';
import { method } from './define.ts';
import { ICINGA_DEFAULT_PORT } from './ports.ts';

const targetName = z.string().min(1, 'name must name the Icinga target');
const masterHost = z
  .string({ error: 'host must name the Icinga master (host name or IP)' })
  .min(1, 'host must name the Icinga master (host name or IP)');
const masterPort = z
  .number()
  .int()
  .min(1, 'port must be 1–65535')
  .max(65535, 'port must be 1–65535')
  .default(ICINGA_DEFAULT_PORT);
const fingerprint = z
  .string({ error: 'trustFingerprint must be the SHA-256 fingerprint of the master certificate' })
  .min(1, 'trustFingerprint must be the SHA-256 fingerprint of the master certificate');

/** CheckCommand name → the command line it runs here, with `$macro$` placeholders (§4.6). */
const commandLinesSchema = z.record(
  z.string().min(1, 'a CheckCommand name must not be empty'),
  z.string().min(1, 'a command line must not be empty'),
);

/** What the master may run on this machine (command endpoint, §4.6). */
export interface IcingaCommandEndpoint {
  name: string;
  policy: CommandPolicy;
  commands: Record<string, string>;
}

/** What the UI shows to confirm the master (the PEM itself stays in the core). */
export type IcingaMasterCertificate = Omit<MasterCertificateInfo, 'certPem'>;

export type IcingaPairResult = PairResult;

/** One endpoint of the parent zone as `getIcingaStatus` shows it (HA parents, issue #18). */
export interface IcingaMasterStatus {
  host: string;
  port: number;
  endpoint: string;
  /** Lower-case hex SHA-256 of its leaf, pinned at pairing. */
  fingerprint?: string;
  state: ConnectionState;
  detail?: string;
  lastError?: string;
  lastConfirmedAt?: number;
}

export interface IcingaStatus {
  target: string;
  transport: 'cluster' | 'rest';
  /** The first master (as before HA parents); `masters` lists every one. */
  host: string;
  port: number;
  endpoint: string;
  /** Every endpoint of the parent zone the agent connects to, in order of preference. */
  masters: IcingaMasterStatus[];
  cn: string;
  zone: string;
  paired: boolean;
  /**
   * Set while the request waits for `icinga2 ca sign`. `heldBy`: the endpoints
   * of the masters that hold it (answered "pending" when last asked, or could
   * not be asked since), where `signCommand` runs; absent until one was asked.
   */
  pendingRequest?: { fingerprint: string; signCommand: string; heldBy?: string[] };
  state: ConnectionState;
  detail?: string;
  lastError?: string;
  /** Unix ms of the last result the master confirmed. */
  lastConfirmedAt?: number;
  certificate?: { notAfter: string; daysLeft: number; fingerprint: string; renewDue: boolean };
  /** The first master's pin (`AB:CD…`, as before HA parents); `masters[].fingerprint` has each one's. */
  masterPin?: string;
  commandEndpoint: { enabled: boolean; commands: string[] };
}

/**
 * Endpoints of the parent zone a target connects to: Icinga's HA zone has
 * two masters; a few more cost nothing and catch a runaway list early.
 */
export const ICINGA_MAX_MASTERS = 8;

const masterToPair = z
  .object({ host: masterHost, port: masterPort, trustFingerprint: fingerprint })
  .strict();

/** Requests of the icinga module (issue #5; spec shared/protocols/icinga2.md). */
export const icingaContract = {
  fetchIcingaMasterCertificate: method<IcingaMasterCertificate>()(
    z.object({ host: masterHost, port: masterPort }).strict(),
    "The master's certificate and SHA-256 fingerprint, for the user to confirm before pairing (trust on first use)",
  ),
  pairIcinga: method<IcingaPairResult>()(
    z
      .object({
        name: targetName,
        /** One master (as before HA parents) … */
        host: masterHost.optional(),
        port: masterPort,
        trustFingerprint: fingerprint.optional(),
        /** … or every endpoint of the parent zone, in order of preference (HA, issue #18). */
        masters: z
          .array(masterToPair)
          .min(1, 'masters must list at least one Icinga master')
          .max(
            ICINGA_MAX_MASTERS,
            `masters: at most ${ICINGA_MAX_MASTERS} endpoints of the parent zone`,
          )
          .optional(),
        cn: z.string().min(1).max(255).optional(),
        zone: z.string().min(1).max(255).optional(),
        ticket: z.string().max(200).optional(),
        waitSeconds: z
          .number()
          .int()
          .min(0)
          .max(7 * 86400)
          .default(0),
        pollSeconds: z.number().int().min(1).max(3600).optional(),
        replace: z.boolean().default(false),
      })
      .strict()
      .superRefine((request, ctx) => {
        if (request.masters !== undefined) {
          for (const field of ['host', 'trustFingerprint'] as const)
            if (request[field] !== undefined)
              ctx.addIssue({
                code: 'custom',
                path: [field],
                message: `give the masters list or a single master's host and trustFingerprint, not both`,
              });
          return;
        }
        if (request.host === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['host'],
            message: 'host must name the Icinga master (host name or IP), or give masters',
          });
        if (request.trustFingerprint === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['trustFingerprint'],
            message: 'trustFingerprint must be the SHA-256 fingerprint of the master certificate',
          });
      }),
    'Pair with the Icinga masters of the parent zone (one, or each of an HA zone): pin each certificate, request a signed certificate with a ticket or on demand from the first that answers, wait up to waitSeconds for approval',
  ),
  computeIcingaTicket: method<{ cn: string; ticket: string }>()(
    z
      .object({
        cn: z.string().min(1, 'cn must not be empty'),
        salt: z.string().min(1, "salt must be the master's TicketSalt"),
      })
      .strict(),
    'The ticket `icinga2 pki ticket --cn CN --salt SALT` computes (PBKDF2-HMAC-SHA1)',
  ),
  getIcingaStatus: method<IcingaStatus>()(
    z.object({ name: targetName, probe: z.boolean().default(true) }).strict(),
    'Connection state, certificate expiry and last confirmed result of an Icinga target',
  ),
  getIcingaCommandPolicy: method<IcingaCommandEndpoint>()(
    z.object({ name: targetName }).strict(),
    'What the master may run on this machine (command endpoint): the policy and the mapped CheckCommands',
  ),
  setIcingaCommandPolicy: method<IcingaCommandEndpoint>()(
    z
      .object({
        name: targetName,
        policy: commandPolicySchema,
        commands: commandLinesSchema.optional(),
      })
      .strict(),
    'Allow (or forbid) the master to run checks on this machine (command endpoint): allow-listed command lines only',
  ),
  patchIcingaCommandPolicy: method<IcingaCommandEndpoint>()(
    z
      .object({
        name: targetName,
        ...commandPolicyPatchShape,
        commands: collectionPatchSchema(commandLinesSchema).optional(),
      })
      .strict(),
    'Change the command endpoint field by field (allow patterns and CheckCommands set, added or removed; a removal must name what is listed), applied at once in the core so changes made together all land',
  ),
  setIcingaRest: method<{ name: string; transport: 'cluster' | 'rest'; restUser?: string }>()(
    z
      .object({
        name: targetName,
        transport: z.enum(['cluster', 'rest']),
        restUser: z.string().min(1).optional(),
        restPassword: z.string().min(1).optional(),
      })
      .strict(),
    'Send check results through the REST API (ApiUser by client certificate, or basic auth with the password kept in the secret store) or back through the cluster connection',
  ),
} satisfies ContractShape;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface IcingaEvents {}

export interface MasterCertificateInfo {
  host: string;
  port: number;
  /** The master's endpoint name (its certificate's CN). */
  endpoint: string;
  subject: string;
  issuer: string;
  notAfter: string;
  /** Lower-case hex SHA-256 of the DER. */
  fingerprint: string;
  /** `AB CD …` as `icinga2 pki save-cert` prints it. */
  fingerprintSpaced: string;
  certPem: string;
}

export interface PairResult {
  target: string;
  state: 'paired' | 'pending';
  cn: string;
  endpoint: string;
  masterFingerprint: string;
  /** Every master paired with and the fingerprint pinned for it (the first is `endpoint`). */
  masters: Array<{ host: string; port: number; endpoint: string; fingerprint: string }>;
  /** SHA-256 of our self-signed certificate: what `icinga2 ca list` shows. */
  requestFingerprint: string;
  /** Set while pending: the exact command for the master's admin. */
  signCommand?: string;
  /** Set while pending: the endpoint of the master that holds the request, where `signCommand` runs (HA parents: the one that answered). */
  signOn?: string;
  certificateExpires?: string;
  /** True when an existing signed identity was kept (re-pairing without replace). */
  reused: boolean;
}
