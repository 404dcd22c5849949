import { z } from 'zod';
import { TARGET_NAME_PATTERN } from './targets.ts';
import { BUILTIN_KINDS } from './builtin-kinds.ts';
import { PANDORA_AGENT_NAME_PATTERN, pandoraAgentSchema } from './pandora-agents.ts';

/**
 * Local check definitions, kept in the `checks` section of settings.json.
 * A check runs a program (no shell unless asked) or a built-in, and feeds one
 * or more paired targets, each with its own naming on that backend.
 */
export const CHECK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,98}[A-Za-z0-9._-]$|^[A-Za-z0-9]$/;

const finite = z.number().finite();

/** Module types a check's value can be sent as to Pandora FMS (pandora-data.md). */
export const PANDORA_VALUE_TYPES = [
  'generic_data',
  'generic_proc',
  'generic_data_string',
  'generic_data_inc',
  'generic_data_inc_abs',
  'async_data',
  'async_proc',
  'async_string',
] as const;

export const pandoraValueModuleSchema = z
  .object({
    type: z.enum(PANDORA_VALUE_TYPES),
    description: z.string().max(255).optional(),
    unit: z.string().max(32).optional(),
    minWarning: finite.optional(),
    maxWarning: finite.optional(),
    warningInverse: z.boolean().optional(),
    minCritical: finite.optional(),
    maxCritical: finite.optional(),
    criticalInverse: z.boolean().optional(),
  })
  .strict();
export type PandoraValueModule = z.output<typeof pandoraValueModuleSchema>;

export const checkTargetSchema = z
  .object({
    target: z.string().regex(TARGET_NAME_PATTERN, 'target must name a paired target'),
    /** Icinga 2: object names (icinga2.md §4.2); host defaults to the agent name, service to the check name. */
    host: z.string().min(1).max(255).optional(),
    service: z.string().min(1).max(255).optional(),
    /** Pandora FMS: agent_name attribute and module name (pandora-data.md §3.3, §3.5). */
    agentName: z.string().min(1).max(600).optional(),
    moduleName: z.string().min(1).max(255).optional(),
    /**
     * Pandora FMS "value" module, as a Pandora agent's module_exec: the first
     * output line is the module's data, of this type, and the server's own
     * thresholds give the state (pandora-data.md §3.5, §5.5). Without it the
     * result goes as §7 says (a generic_proc state module + perfdata modules).
     * Imports use it so that existing modules keep their type (§3.5: never
     * change a module's type).
     */
    pandoraModule: pandoraValueModuleSchema.optional(),
    /** OnSphere: the value id prefix; one value per status and per perfdata label below it. */
    valueId: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
        'valueId must be dot-separated words of letters, digits, _ or -',
      )
      .optional(),
  })
  .strict();
export type CheckTarget = z.output<typeof checkTargetSchema>;

export const commandSpecSchema = z
  .object({
    /** Program path then arguments; with `shell`, one element: the whole command line. */
    argv: z.array(z.string()).min(1, 'command must name a program'),
    shell: z.boolean().default(false),
  })
  .strict()
  .refine((c) => c.argv[0] !== '', { message: 'command must name a program', path: ['argv', 0] })
  .refine((c) => !c.shell || c.argv.length === 1, {
    message: 'a shell command is one command line (argv of one element)',
    path: ['argv'],
  });

export const builtinSpecSchema = z
  .object({
    kind: z.enum(BUILTIN_KINDS),
    /** Validated by the built-in itself (builtin.ts). */
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict();

const baseDefinition = z
  .object({
    name: z
      .string()
      .regex(
        CHECK_NAME_PATTERN,
        "name must be 1–100 letters, digits, spaces, '.', '_' or '-', not starting or ending with a space",
      ),
    command: commandSpecSchema.optional(),
    builtin: builtinSpecSchema.optional(),
    /** Seconds between runs. */
    interval: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(60),
    /** Seconds before the process tree is killed and the result is UNKNOWN. */
    timeout: z.number().int().min(1).max(3600).default(10),
    cwd: z.string().min(1).optional(),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment names are letters, digits and _'),
        z.string(),
      )
      .optional(),
    /** Captured output beyond this many bytes is cut. */
    maxOutputBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    enabled: z.boolean().default(true),
    /** The Pandora agent definition whose pandora_agent.conf this check comes from (pandora-agents.ts). */
    pandoraAgent: z
      .string()
      .regex(PANDORA_AGENT_NAME_PATTERN, 'pandoraAgent must name a Pandora agent definition')
      .optional(),
  })
  .strict();

function exactlyOneKind(d: { command?: unknown; builtin?: unknown }): boolean {
  return (d.command === undefined) !== (d.builtin === undefined);
}
const ONE_KIND = {
  message: 'give either command or builtin, not both or neither',
  path: ['command'],
};

export const checkDefinitionSchema = baseDefinition
  .extend({ targets: z.array(checkTargetSchema).min(1, 'a check feeds at least one target') })
  .refine(exactlyOneKind, ONE_KIND)
  .refine((d) => new Set(d.targets.map((t) => t.target)).size === d.targets.length, {
    message: 'each target may appear once',
    path: ['targets'],
  });
export type CheckDefinition = z.output<typeof checkDefinitionSchema>;
export type CheckDefinitionInput = z.input<typeof checkDefinitionSchema>;

/** For "run now" on a definition not saved yet: it may feed no target. */
export const draftDefinitionSchema = baseDefinition
  .extend({ targets: z.array(checkTargetSchema).default([]) })
  .refine(exactlyOneKind, ONE_KIND);

export const checksSectionSchema = z
  .object({
    definitions: z.array(checkDefinitionSchema).default([]),
    /** How many checks may run at once (the rest wait their turn). */
    maxConcurrent: z.number().int().min(1).max(256).default(16),
    /** Pandora agent definitions: kept here so that an agent and its checks change in one write. */
    pandoraAgents: z.array(pandoraAgentSchema).default([]),
  })
  .prefault({});
export type ChecksSection = z.output<typeof checksSectionSchema>;
