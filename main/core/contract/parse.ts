import type { z } from 'zod';
import { AgentError } from './errors.ts';

/** Turns a schema failure into an error naming the field and what is expected. */
export function schemaError(error: z.ZodError, prefix = ''): AgentError {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const field = prefix === '' ? path : path === '' ? prefix : `${prefix}.${path}`;
  const what = issue?.message ?? 'invalid value';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return new AgentError('invalid-request', `${field === '' ? 'request' : field}: ${what}${more}`, {
    field: field === '' ? undefined : field,
  } as { field?: string });
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw schemaError(result.error, prefix);
  return result.data;
}
