import { z } from 'zod';
import { commandPolicySchema } from '../../contract/command-policy.ts';
import { ICINGA_DEFAULT_PORT } from '../../contract/ports.ts';

/** The master's port unless a target says otherwise (icinga2.md §2). */
export const DEFAULT_PORT = ICINGA_DEFAULT_PORT;

/** `targets.<name>.config` of an Icinga target. Never holds a secret (the REST password and ticket live in the SecretStore). */
export const icingaTargetConfigSchema = z.object({
  /** Host or IP we connect to. */
  host: z.string().min(1, 'host must name the Icinga master'),
  port: z.number().int().min(1).max(65535).default(DEFAULT_PORT),
  /** The master's endpoint name (CN of its certificate): SNI and the name we verify (spec §2.1). */
  endpoint: z.string().min(1),
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
});

export type IcingaTargetConfig = z.output<typeof icingaTargetConfigSchema>;
