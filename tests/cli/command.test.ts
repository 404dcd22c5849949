import { describe, expect, it } from 'vitest';
import { UsageError, withFlagNames } from '../../main/cli/command.ts';
import { AgentError } from '../../main/core/contract/errors.ts';

describe('withFlagNames: the core refusing a request field, said with the flag that set it', () => {
  const flags = { 'allow.remove': '--disallow', dispatcher: '--dispatcher' };

  it('puts the flag in place of the field, dotted sub-fields included, as a usage error', () => {
    const said = withFlagNames(
      new AgentError('invalid-request', "allow.remove.1: '^x$' is not in the allow list ('^a$')", {
        field: 'allow.remove.1',
      }),
      flags,
    );
    expect(said).toBeInstanceOf(UsageError);
    expect((said as Error).message).toBe("--disallow '^x$' is not in the allow list ('^a$')");
    const dispatcher = withFlagNames(
      new AgentError('invalid-request', 'dispatcher: HOST[:PORT] is required', {
        field: 'dispatcher',
      }),
      flags,
    );
    expect((dispatcher as Error).message).toBe('--dispatcher HOST[:PORT] is required');
  });

  it('leaves alone what no flag set, what is not a refused request and what does not start with its field', () => {
    const others = [
      new AgentError('invalid-request', 'name: unknown target', { field: 'name' }),
      new AgentError('invalid-request', 'allow.removed: x', { field: 'allow.removed' }),
      new AgentError('unreachable', 'dispatcher: connection refused', { field: 'dispatcher' }),
      new AgentError('invalid-request', 'the dispatcher is wrong', { field: 'dispatcher' }),
      new AgentError('invalid-request', 'no field'),
      new Error('dispatcher: plain error'),
    ];
    for (const error of others) expect(withFlagNames(error, flags)).toBe(error);
  });
});
