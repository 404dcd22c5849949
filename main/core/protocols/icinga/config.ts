import { z } from 'zod';
import { commandPolicySchema } from '../../contract/command-policy.ts';
import { formatHostPort } from '../../contract/host-port.ts';
import { ICINGA_MAX_MASTERS } from '../../contract/icinga.ts';
import { ICINGA_DEFAULT_PORT } from '../../contract/ports.ts';

/** The master's port unless a target says otherwise (icinga2.md §2). */
export const DEFAULT_PORT = ICINGA_DEFAULT_PORT;

/** One endpoint of the parent zone that has an address (an `Endpoint` with `host`). */
export const icingaMasterSchema = z.object({
  /** Host or IP we connect to. */
  host: z
    .string({ error: 'host must name the Icinga master (host name or IP)' })
    .min(1, 'host must name the Icinga master (host name or IP)'),
  port: z.number().int().min(1).max(65535).default(DEFAULT_PORT),
  /** The master's endpoint name (CN of its certificate): SNI and the name we verify (spec §2.1). */
  endpoint: z
    .string({ error: "endpoint must be the master's endpoint name (its certificate's CN)" })
    .min(1, "endpoint must be the master's endpoint name (its certificate's CN)"),
  /**
   * Lower-case hex SHA-256 of this master's leaf, confirmed at pairing (§3.2):
   * each master of the zone has its own leaf, signed by the zone's one CA.
   */
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'fingerprint must be 64 lower-case hex digits (SHA-256)')
    .optional(),
});

export type IcingaMaster = z.output<typeof icingaMasterSchema>;

/**
 * Configs stored before HA parents (issue #18) name one master in
 * `host`/`port`/`endpoint`: read them as a one-element `masters` list, so old
 * targets keep working and are saved in the new shape on their next change.
 */
function migrateSingleMaster(input: unknown, ctx: z.core.$RefinementCtx): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const legacy = ['host', 'port', 'endpoint'].filter((key) => Object.hasOwn(input, key));
  if (legacy.length === 0) return input;
  const { host, port, endpoint, ...rest } = input as Record<string, unknown>;
  if (Object.hasOwn(input, 'masters')) {
    ctx.addIssue({
      code: 'custom',
      path: [legacy[0]!],
      message: `give the masters list or the single master's ${legacy.join('/')}, not both`,
    });
    return input;
  }
  return { ...rest, masters: [{ host, port, endpoint }] };
}

/** `targets.<name>.config` of an Icinga target. Never holds a secret (the REST password and ticket live in the SecretStore). */
export const icingaTargetConfigSchema = z.preprocess(
  migrateSingleMaster,
  z.object({
    /**
     * Every endpoint of the parent zone with an address, in order of
     * preference: the agent keeps a connection to each (Icinga's rule for HA
     * zones) and sends over whichever is up.
     */
    masters: z
      .array(icingaMasterSchema)
      .min(1, 'masters must list at least one Icinga master')
      .max(
        ICINGA_MAX_MASTERS,
        `masters: at most ${ICINGA_MAX_MASTERS} endpoints of the parent zone`,
      )
      .superRefine((masters, ctx) => {
        const seen = new Set<string>();
        masters.forEach((m, i) => {
          if (seen.has(m.endpoint))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'endpoint'],
              message: `endpoint '${m.endpoint}' is listed twice: each master of the zone once`,
            });
          seen.add(m.endpoint);
        });
      }),
    /** Our endpoint name = the CN of our certificate (§1). */
    cn: z.string().min(1),
    /** Our zone (`node setup` default: the CN). */
    zone: z.string().min(1),
    /** `cluster` (JSON-RPC on 5665) or the REST fallback (§5). */
    transport: z.enum(['cluster', 'rest']).default('cluster'),
    /** REST fallback: an ApiUser for basic auth (password in the SecretStore); without it the client certificate authenticates. */
    restUser: z.string().min(1).optional(),
    /**
     * §4.6 command-endpoint mode: `event::ExecuteCommand` runs only when the
     * policy is enabled, only for CheckCommands mapped here, and only if the
     * expanded command line passes the policy's allow-list.
     */
    commandEndpoint: z
      .object({
        policy: commandPolicySchema.prefault({}),
        /** CheckCommand name → command line with `$macro$` placeholders, e.g. `/usr/lib/nagios/plugins/check_dummy $dummy_state$ $dummy_text$`. */
        commands: z.record(z.string(), z.string()).default({}),
      })
      .prefault({}),
  }),
);

export type IcingaTargetConfig = z.output<typeof icingaTargetConfigSchema>;

/** "master.test (127.0.0.1:5665), master2.test (…)" for messages. */
export function describeMasters(
  masters: ReadonlyArray<Pick<IcingaMaster, 'host' | 'port' | 'endpoint'>>,
): string {
  return masters.map((m) => `${m.endpoint} (${formatHostPort(m)})`).join(', ');
}
