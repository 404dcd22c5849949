import { AgentError } from '../contract/errors.ts';
import { assertTargetName } from '../targets/registry.ts';

/**
 * Validators of seed values shared by the agent-wide parameters and every
 * protocol's section. Every error names the parameter first
 * (`AUTO_UPDATE: must be 1 or 0, got '2'`): it is what an administrator
 * fixes on the installer's command line.
 */

export function seedError(field: string, message: string): AgentError {
  return new AgentError('invalid-request', `${field}: ${message}`, { field });
}

/** Runs a foundation validator and puts the parameter name first in its message. */
export function named<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof AgentError && !error.message.startsWith(`${field}:`))
      throw seedError(field, error.message);
    throw error;
  }
}

/** `1`/`0` (also true/false, yes/no, on/off), as installers write switches. */
export function seedFlag(value: string, field: string): boolean {
  const v = value.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw seedError(field, `must be 1 or 0, got '${value}'`);
}

export function seedTargetName(value: string, field: string): string {
  named(field, () => assertTargetName(value, field));
  return value;
}

/** Endpoint names / certificate CNs (AGENT_NAME): host-name-like, as monitoring servers take them. */
export function endpointName(value: string, field: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(value)) {
    throw seedError(
      field,
      `'${value}' must be a host-name-like name (letters, digits, '.', '_', '-')`,
    );
  }
  return value;
}

export function absolutePath(value: string, field: string): string {
  // Relative paths would depend on the installer's working directory, which nobody controls.
  if (!/^(?:\/|[A-Za-z]:[\\/]|\\\\)/.test(value)) {
    throw seedError(field, `'${value}' must be an absolute path to the file`);
  }
  return value;
}

/**
 * A comma-separated value (`HOST:PORT,HOST2:PORT`): its items, trimmed. An
 * empty item is a typo (`a,,b`, a trailing comma), not something to skip.
 */
export function seedList(value: string, field: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  const empty = items.findIndex((item) => item === '');
  if (empty !== -1)
    throw seedError(
      field,
      `item ${empty + 1} of '${value}' is empty: separate the values with single commas`,
    );
  return items;
}
