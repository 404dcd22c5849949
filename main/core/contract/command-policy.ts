import { z } from 'zod';

/**
 * Why `source` cannot be an allow-list pattern, or undefined when it can: it
 * must be valid alone and anchored, as exec/policy.ts matches it
 * (`a)|(b` is only the latter).
 */
export function regularExpressionProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    new RegExp(`^(?:${source})$`);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /, '');
  }
}

/** One allow-list entry: a regular expression a whole command line must match. */
const allowPatternSchema = z.string().superRefine((source, ctx) => {
  const problem = regularExpressionProblem(source);
  if (problem !== undefined)
    ctx.addIssue({ code: 'custom', message: `must be a valid regular expression (${problem})` });
});

const maxTimeoutSecondsSchema = z.number().int().min(1).max(3600);
const maxOutputBytesSchema = z
  .number()
  .int()
  .min(1024)
  .max(16 * 1024 * 1024);

/**
 * What remote peers may make this machine run (Gorgone COMMAND, Icinga
 * ExecuteCommand). Off by default; when on, only command lines matching one of
 * the allow-list's regular expressions (anchored) run, with capped timeout and
 * output, and no shell unless the user allowed one.
 */
export const commandPolicySchema = z.object({
  enabled: z.boolean().default(false),
  allow: z.array(allowPatternSchema).default([]),
  allowShell: z.boolean().default(false),
  maxTimeoutSeconds: maxTimeoutSecondsSchema.default(60),
  maxOutputBytes: maxOutputBytesSchema.default(1024 * 1024),
});

/**
 * The fields of a policy a request changes, the others kept. No defaults here:
 * `commandPolicySchema.partial()` would still fill them in (zod 4), so
 * `{ enabled: true }` reset the allow list and the caps.
 */
export const commandPolicyChangesSchema = z
  .object({
    enabled: z.boolean(),
    allow: z.array(allowPatternSchema),
    allowShell: z.boolean(),
    maxTimeoutSeconds: maxTimeoutSecondsSchema,
    maxOutputBytes: maxOutputBytesSchema,
  })
  .partial()
  .strict();

export type CommandPolicy = z.output<typeof commandPolicySchema>;

/**
 * A change to a named collection: `set` replaces it whole (what a form
 * shows), `add` and `remove` change what is there (what command-line flags
 * say). A removal must name an entry that is there: a typo is an error, not a
 * removal that silently did not happen.
 */
export function collectionPatchSchema<Entries extends z.ZodType>(entries: Entries) {
  return z
    .object({
      set: entries.optional(),
      add: entries.optional(),
      remove: z.array(z.string()).optional(),
    })
    .strict()
    .refine(
      (patch) => patch.set === undefined || (patch.add === undefined && patch.remove === undefined),
      {
        message: 'set replaces the whole list: give add and remove without it',
        path: ['set'],
      },
    );
}

/**
 * A change to a command policy: the fields given change, the others stay.
 * Whether a shell may run is not part of it: it is the protocol's to decide.
 */
export const commandPolicyPatchShape = {
  enabled: z.boolean().optional(),
  allow: collectionPatchSchema(z.array(allowPatternSchema)).optional(),
  maxTimeoutSeconds: maxTimeoutSecondsSchema.optional(),
  maxOutputBytes: maxOutputBytesSchema.optional(),
};

export type CommandPolicyPatch = z.output<z.ZodObject<typeof commandPolicyPatchShape>>;
