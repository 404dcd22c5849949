import type { AgentHandlers } from './contract/index.ts';
import type { AgentContext } from './context.ts';
import type { TargetDriver } from './targets/driver.ts';

/**
 * One slice of the agent: its handlers for part of AgentApi, the target
 * driver(s) it brings, and the long-lived work it does under `outpost run`.
 */
export interface AgentModule {
  name: string;
  drivers?: ReadonlyArray<TargetDriver<never>>;
  createHandlers(ctx: AgentContext): Partial<AgentHandlers>;
  /** Runs until `signal` aborts (the daemon: `outpost run`, the tray app). */
  run?(ctx: AgentContext, signal: AbortSignal): Promise<void>;
}
