import { AgentError } from '../contract/errors.ts';
import {
  commandPolicySchema,
  type CommandPolicy,
  type CommandPolicyPatch,
} from '../contract/command-policy.ts';

export const DISABLED_COMMAND_POLICY: CommandPolicy = commandPolicySchema.parse({});

/**
 * `policy` with `patch` applied: the one way a policy changes, whichever UI
 * asks (CLI flags add and remove, a settings form sets). A removal must name
 * a listed pattern, so a typo is refused naming it rather than passing for a
 * removal that happened.
 */
export function patchCommandPolicy(
  policy: CommandPolicy,
  patch: CommandPolicyPatch,
): CommandPolicy {
  const listed = policy.allow.map((pattern) => `'${pattern}'`).join(', ') || 'empty';
  const removals = patch.allow?.remove ?? [];
  removals.forEach((pattern, i) => {
    if (!policy.allow.includes(pattern))
      throw new AgentError(
        'invalid-request',
        `allow.remove.${i}: '${pattern}' is not in the allow list (${listed})`,
        { field: `allow.remove.${i}` },
      );
  });
  const allow = [...new Set([...(patch.allow?.set ?? policy.allow), ...(patch.allow?.add ?? [])])];
  return {
    enabled: patch.enabled ?? policy.enabled,
    allow: allow.filter((pattern) => !removals.includes(pattern)),
    allowShell: policy.allowShell,
    maxTimeoutSeconds: patch.maxTimeoutSeconds ?? policy.maxTimeoutSeconds,
    maxOutputBytes: patch.maxOutputBytes ?? policy.maxOutputBytes,
  };
}

/** Every allow-list pattern must match the whole command line. */
export function isCommandAllowed(policy: CommandPolicy, commandLine: string): boolean {
  if (!policy.enabled) return false;
  return policy.allow.some((source) => new RegExp(`^(?:${source})$`).test(commandLine));
}

/** Throws a refusal a remote admin can act on, or returns the capped limits. */
export function authorizeCommand(
  policy: CommandPolicy,
  commandLine: string,
  requestedTimeoutSeconds: number | undefined,
  who: string,
): { timeoutMs: number; maxOutputBytes: number } {
  if (!policy.enabled) {
    throw new AgentError('refused', `${who}: remote command execution is disabled on this agent`);
  }
  if (!isCommandAllowed(policy, commandLine)) {
    throw new AgentError('refused', `${who}: command not in this agent's allow-list`);
  }
  const requested = requestedTimeoutSeconds ?? policy.maxTimeoutSeconds;
  return {
    timeoutMs: Math.min(Math.max(requested, 1), policy.maxTimeoutSeconds) * 1000,
    maxOutputBytes: policy.maxOutputBytes,
  };
}
