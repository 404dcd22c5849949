import type { z } from 'zod';
import { agentContract, isAgentMethod, type AgentMethod } from './api.ts';
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

/** The check every entry (IPC, WebSocket, CLI) runs before a request reaches a handler. */
export function parseRequest(
  methodName: unknown,
  raw: unknown,
): { method: AgentMethod; request: unknown } {
  if (!isAgentMethod(methodName)) {
    // A caller's string is echoed short: a megabyte method name is not worth sending back.
    const message =
      typeof methodName !== 'string'
        ? `method must be a string naming an AgentApi method, got ${methodName === null ? 'null' : typeof methodName}`
        : `unknown method '${methodName.length > 64 ? `${methodName.slice(0, 64)}…` : methodName}'`;
    throw new AgentError('invalid-request', message, { field: 'method' });
  }
  const spec = agentContract[methodName];
  return { method: methodName, request: parseWith(spec.request, raw ?? {}) };
}
