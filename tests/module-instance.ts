import { AGENT_MODULES } from '../main/core/agent.ts';
import type { AgentModule, ModuleEntry, ModuleInstance } from '../main/core/modules.ts';

/**
 * A module wrapped so that a test reaches the instance its agent created
 * (the agent keeps instances to itself: nothing module-level to peek at).
 */
export function captureInstance<I extends ModuleInstance>(
  module: AgentModule<I>,
): { module: AgentModule<I>; instance(): I } {
  let created: I | undefined;
  return {
    module: {
      ...module,
      create: async (ctx) => (created = await module.create(ctx)),
    },
    instance() {
      if (created === undefined) throw new Error(`${module.name} was not created by an agent yet`);
      return created;
    },
  };
}

/** Every module of the agent, with one of them replaced (by name). */
export function modulesWith(replacement: AgentModule): ModuleEntry[] {
  return AGENT_MODULES.map((m) => (m.name === replacement.name ? replacement : m));
}
