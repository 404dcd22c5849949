import type { z } from 'zod';
import type { AgentHandlers, AgentMethod } from './contract/index.ts';
import type { TargetKind } from './contract/targets.ts';
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

/** A target kind as a module declares it: its settings are checked before its code loads. */
export interface KindSpec {
  kind: TargetKind;
  configSchema: z.ZodType<unknown>;
}

/**
 * A module as the composition root (agent.ts) lists it (issue #17 "a command
 * loads only what it uses"): what it serves is declared here, its code is
 * imported on first use. The agent loads it when one of its `methods` is
 * called, when a target of one of its `kinds` is saved, and under `run` when
 * `inUse` says it has work. Its entry file imports only its contract and its
 * kinds' config schemas, so listing it costs no protocol code.
 */
export interface LazyAgentModule {
  name: string;
  /** The contract methods its handlers implement (its part of the AgentApi). */
  methods: readonly AgentMethod[];
  kinds: readonly KindSpec[];
  /** Whether the daemon needs it in these settings; default: a target of one of its kinds exists. */
  inUse?(ctx: AgentContext): boolean;
  load(): Promise<AgentModule>;
  /** Its part of the installer seed (deploy/), known without loading its code. */
  seed?: SeedSection;
}

/** What Agent.open takes: modules already loaded (tests pass these) or lazy ones (the product). */
export type ModuleEntry = AgentModule | LazyAgentModule;

/** The methods of one part of the contract, typed (Object.keys loses the key type). */
export function methodsOf(contract: Partial<Record<AgentMethod, unknown>>): AgentMethod[] {
  return Object.keys(contract) as AgentMethod[];
}
