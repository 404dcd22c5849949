import { z } from 'zod';
import { AgentError } from '../main/core/contract/errors.ts';
import type { AgentModule } from '../main/core/modules.ts';
import type { TargetDriver } from '../main/core/targets/driver.ts';

/**
 * The one fake target driver of the tests: a kind of its own (target kinds
 * are an open registry), any config object, every item kind, and a delivery
 * that refuses unless a test gives its own. Tests override what they exercise.
 */
export function fakeDriver<Config = unknown>(
  overrides: Partial<TargetDriver<Config>> & { kind: string },
): TargetDriver<Config> {
  return {
    configSchema: z.object({}).passthrough() as unknown as z.ZodType<Config>,
    accepts: ['file', 'check-result', 'value', 'message'],
    window: 1,
    deliver: () =>
      Promise.reject(
        new AgentError('internal', `the fake ${overrides.kind} driver does not deliver`),
      ),
    ...overrides,
  };
}

/** A module that brings one driver and nothing else, named after its kind. */
export function fakeModule(driver: TargetDriver): AgentModule {
  return { name: driver.kind, create: () => ({ drivers: [driver] }) };
}
