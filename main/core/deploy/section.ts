import type { AgentContext } from '../context.ts';
import type { AgentApi } from '../contract/index.ts';
import type { TargetKind } from '../contract/targets.ts';

/** One installer parameter (build/README.md "The seed file"). */
export interface SeedParameterSpec {
  description: string;
  /**
   * Moved to the SecretStore and never written back to disk: left out of
   * `seed.applied.ini` and of a seed kept for a retry, a hidden MSI property.
   */
  secret?: boolean;
}

/** What every protocol's parsed section holds, besides its own typed fields. */
export interface SeedTarget {
  /** The target the section creates (`<PROTOCOL>_TARGET`, each protocol's default name). */
  target: string;
  /**
   * Saved as `target/<target>/<name>` in the SecretStore before any target is
   * applied, so they leave the disk whatever happens to the target.
   */
  secrets: Readonly<Record<string, string>>;
}

/** What a section's `apply` may use. */
export interface SeedApplyContext {
  ctx: AgentContext;
  /** The agent's own requests, checked by the contract as any caller's. */
  api: AgentApi;
  /** AGENT_NAME of the same seed, when it gives one. */
  agentName: string | undefined;
}

/** `retry`: the server could not be reached; the seed (without its secrets) is kept for the next start. */
export type SeedOutcome = 'created' | 'skipped' | 'failed' | 'retry';

/**
 * One protocol's part of the silent-deployment seed: the parameters it reads,
 * how they become its typed section, and how that section becomes a target.
 * A protocol module declares it (`AgentModule.seed`); deploy/ loops over the
 * sections of the modules and knows no protocol (issue #16 item 4).
 */
export interface SeedSection<Section extends SeedTarget = SeedTarget> {
  /** The target kind it creates: skipped when the agent has no driver of that kind. */
  kind: TargetKind;
  /** The protocol as messages name it: 'only meaningful with LEAD (the <protocol> server)'. */
  protocol: string;
  /** The parameter that turns the section on (HOST[:PORT] of the server). */
  lead: string;
  /**
   * What the lead holds, when it is not the server's address: the value and
   * its meaning the message shows (`add LEAD=<example> (<meaning>)`).
   */
  leadValue?: { example: string; meaning: string };
  /**
   * Leads of other sections this one cannot come with (name → why): the
   * error names this lead and the other.
   */
  excludes?: Readonly<Record<string, string>>;
  /**
   * Name → meaning, in the order the documentation lists them. The names are
   * the installers' command line (NSIS switches, MSI properties): never rename one.
   */
  parameters: Readonly<Record<string, SeedParameterSpec>>;
  /**
   * Checks the section's own values (empty ones left out, `lead` always
   * among them) before anything is applied; an error names the parameter.
   */
  parse(values: ReadonlyMap<string, string>): Section;
  /**
   * Creates the target. Runs after the secrets are stored; a thrown error is
   * reported as `failed`, a server to try again at the next start as `retry`.
   */
  apply(
    section: Section,
    context: SeedApplyContext,
  ): Promise<{ outcome: Exclude<SeedOutcome, 'skipped'>; detail: string }>;
}

/**
 * The usual end of `apply` for a target that connects when the agent runs:
 * saved through the registry, its config checked by the kind's driver schema.
 */
export function saveSeedTarget(
  ctx: AgentContext,
  target: string,
  kind: TargetKind,
  config: Record<string, unknown>,
): { outcome: 'created'; detail: string } {
  ctx.targets.save(target, kind, config);
  return {
    outcome: 'created',
    detail: `${kind} target '${target}' saved; it pairs when the agent runs`,
  };
}
