import { z } from 'zod';
import { method } from './define.ts';
import { TARGET_NAME_PATTERN } from './targets.ts';
import type { ImportIssue } from './import-report.ts';

/**
 * Pandora FMS agent definitions (issue #18 part 3): what `outpost import
 * pandora` creates. Each keeps its own copy of `pandora_agent.conf`, the source
 * of truth for the checks marked with its name (`pandoraAgent`); with
 * `remote_config 1` the Pandora server's copy wins (pandora-remote-config.md §1).
 */
export const PANDORA_AGENT_NAME_PATTERN = TARGET_NAME_PATTERN;

/** What the last change of an agent's configuration did, for the UIs. */
export const pandoraConfChangeSchema = z
  .object({
    /** Unix milliseconds. */
    at: z.number().int().min(0),
    /** Who changed it: the import (or UI) here, or the Pandora server (remote configuration). */
    by: z.enum(['import', 'server']),
    /** "configuration changed by the Pandora server: 2 modules added, 1 removed". */
    summary: z.string().max(2000),
    /** The counts behind the summary, for UIs that say it in their own language. */
    added: z.number().int().min(0).default(0),
    changed: z.number().int().min(0).default(0),
    removed: z.number().int().min(0).default(0),
  })
  .strict();
export type PandoraConfChange = z.output<typeof pandoraConfChangeSchema>;

export const pandoraAgentSchema = z
  .object({
    name: z
      .string()
      .regex(PANDORA_AGENT_NAME_PATTERN, 'name must be a short word (letters, digits, . _ -)'),
    /** The Tentacle target its data files go to; remote configuration uses its primary server. */
    target: z.string().regex(TARGET_NAME_PATTERN, 'target must name a Tentacle target'),
    /** agent_name as sent in the data files; its MD5 is the remote-configuration key (§2.1). */
    agentName: z.string().min(1).max(600),
    /** `remote_config 1`: the server's copy of the conf wins, local edits are refused. */
    remoteConfig: z.boolean().default(false),
    /** `standby 1` (the console's "disable", §8.2): its checks do not run; remote configuration still does (§15). */
    standby: z.boolean().default(false),
    /** The conf's `interval` (seconds): how often remote configuration is checked (§4). */
    interval: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(300),
    lastChange: pandoraConfChangeSchema.optional(),
    /** The last remote configuration problem (a refused download, an unreachable server): the previous conf stays in force. */
    problem: z
      .object({ at: z.number().int().min(0), message: z.string().max(4000) })
      .strict()
      .optional(),
  })
  .strict();
export type PandoraAgent = z.output<typeof pandoraAgentSchema>;

/** Counts of what a conf did to an agent's checks. */
export interface PandoraModuleChanges {
  added: string[];
  replaced: string[];
  removed: string[];
}

export interface PandoraAgentSummary {
  definition: PandoraAgent;
  /** Remote configuration file names' stem: MD5 of agent_name (§2.1). */
  key: string;
  /** MD5 of the local conf's bytes (what the server's .md5 is compared with, §4). */
  confMd5: string | undefined;
  /** The checks derived from its conf. */
  checks: string[];
}

export type PandoraSyncAction =
  /** The server's .md5 equals the local one (§9 run 2). */
  | 'unchanged'
  /** First contact: conf then md5 uploaded (§9 run 1). */
  | 'registered'
  /** The server already had the files (SEND ERR file already exists, §10.3). */
  | 'already-registered'
  /** The server's conf was downloaded, checked and applied (§9 run 3). */
  | 'applied'
  /** A download was refused (bad md5, too big, does not parse): the previous conf stays. */
  | 'refused'
  /** The primary server could not be asked (connection, TLS, password, timeout): nothing changed (§7). */
  | 'unreachable'
  /** remote_config is off for this agent. */
  | 'off';

export interface PandoraSyncOutcome {
  agent: string;
  action: PandoraSyncAction;
  message: string;
  changes?: PandoraModuleChanges;
  /** An applied conf's lines not carried over, with their line numbers (as the import reports them). */
  unmapped?: ImportIssue[];
}

const agentName = z.string().min(1, 'name must name a Pandora agent definition');

export const pandoraAgentsContract = {
  listPandoraAgents: method<PandoraAgentSummary[]>()(
    z.object({}).strict().default({}),
    'Every Pandora agent definition (from outpost import pandora) with its checks',
  ),
  syncPandoraAgent: method<PandoraSyncOutcome>()(
    z.object({ name: agentName }).strict(),
    "Run one remote-configuration exchange with the agent's Pandora server now",
  ),
};

export interface PandoraAgentsEvents {
  /** A conf was applied (import or server) or refused: every UI shows it. */
  'pandora.agent-changed': { agent: string; outcome: PandoraSyncOutcome };
}
