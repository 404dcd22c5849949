import { z } from 'zod';

/**
 * What remote peers may make this machine run (Gorgone COMMAND, Icinga
 * ExecuteCommand). Off by default; when on, only command lines matching one of
 * the allow-list's regular expressions (anchored) run, with capped timeout and
 * output, and no shell unless the user allowed one.
 */
export const commandPolicySchema = z.object({
  enabled: z.boolean().default(false),
  allow: z
    .array(
      z.string().refine(
        (source) => {
          try {
            new RegExp(source);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'must be a valid regular expression' },
      ),
    )
    .default([]),
  allowShell: z.boolean().default(false),
  maxTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
  maxOutputBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
});

export type CommandPolicy = z.output<typeof commandPolicySchema>;
