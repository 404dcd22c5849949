import type { AgentHandlers } from './contract/index.ts';
import type { AgentContext } from './context.ts';
import type { SeedSection } from './deploy/section.ts';
import type { TargetDriver } from './targets/driver.ts';

/**
 * What one module brings to the agent once created for it (ARCHITECTURE.md
 * "Every module joins the agent the same way"): its part of the AgentApi, the
 * target driver(s) the queue delivers through, its long-lived work under
 * `outpost run` and the tray app, and what to release on close. Every piece of
 * state lives in the instance: one agent, one instance, nothing module-level.
 */
export interface ModuleInstance {
  handlers?: Partial<AgentHandlers>;
  drivers?: readonly TargetDriver[];
  /** Runs until `signal` aborts (the daemon: `outpost run`, the tray app). */
  run?(signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/** A module of the agent: `create(ctx)` is called once per agent, by agent.ts only. */
export interface AgentModule<Instance extends ModuleInstance = ModuleInstance> {
  name: string;
  /**
   * Its part of the installer seed (deploy/): known without an agent, since
   * installers and build/README.md list every parameter of the build.
   */
  seed?: SeedSection;
  create(ctx: AgentContext): Instance | Promise<Instance>;
}
