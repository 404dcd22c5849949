import { z } from 'zod';
import {
  checkDefinitionSchema,
  draftDefinitionSchema,
  type CheckDefinition,
} from './check-definitions.ts';
import type { CheckResult } from './check-results.ts';
import type { ItemState } from './queue-items.ts';
import { method } from './define.ts';
import type { BuiltinKind } from './builtin-kinds.ts';
import type { TargetKind } from './targets.ts';
import { pandoraAgentsContract, type PandoraAgentsEvents } from './pandora-agents.ts';
import type { ImportReport } from './import-report.ts';

const empty = z.object({}).strict().default({});
const checkName = z.string().min(1, 'name must name a check');

/** One target of a check with what its last result became there. */
export interface CheckTargetStatus extends TargetDelivery {
  /** The queue's view of the last item (delivered, failed…), when the queue knows it. */
  itemState?: ItemState;
  itemError?: string;
}

export interface CheckSummary {
  definition: CheckDefinition;
  lastResult?: CheckResult;
  targets: CheckTargetStatus[];
  nextRunAt?: number;
}

export interface CheckRunOutcome {
  result: CheckResult;
  /** Empty with dryRun. */
  deliveries: TargetDelivery[];
  dryRun: boolean;
}

export const checksContract = {
  listChecks: method<CheckSummary[]>()(empty, 'Every local check with its last result per target'),
  addCheck: method<CheckDefinition>()(
    checkDefinitionSchema,
    'Define a local check (program or built-in) and the targets it feeds',
  ),
  updateCheck: method<CheckDefinition>()(
    z
      .object({
        name: checkName,
        /** The whole new definition (it may rename the check). */
        definition: checkDefinitionSchema,
      })
      .strict(),
    'Replace a check definition',
  ),
  removeCheck: method<{ removed: string }>()(
    z.object({ name: checkName }).strict(),
    'Delete a local check',
  ),
  runCheckNow: method<CheckRunOutcome>()(
    z
      .object({
        name: checkName.optional(),
        /** A definition not saved yet ("run now" in the editor). */
        definition: draftDefinitionSchema.optional(),
        dryRun: z.boolean().default(false),
      })
      .strict()
      .refine((r) => (r.name === undefined) !== (r.definition === undefined), {
        message: 'give either the name of a saved check or a definition',
        path: ['name'],
      }),
    'Run a check once now and return the parsed result; deliver it unless dryRun',
  ),
  importPandora: method<ImportReport>()(
    z
      .object({
        /** Path of pandora_agent.conf on this machine, or its text. */
        path: z.string().min(1).optional(),
        content: z.string().optional(),
        /** Name of the Tentacle target to create (default: pandora). */
        target: z.string().min(1).optional(),
        /** Name of the Pandora agent definition (default: the target's name). */
        agent: z.string().min(1).optional(),
        /** Only report what would be created. */
        dryRun: z.boolean().default(false),
        /** Keep sending server_pwd over plain TCP as the Pandora agent did (tentacle.md §8: replayable). */
        allowPlainPassword: z.boolean().default(false),
      })
      .strict()
      .refine((r) => (r.path === undefined) !== (r.content === undefined), {
        message: 'give either the path of pandora_agent.conf or its content',
        path: ['path'],
      }),
    "Turn a Pandora FMS agent's pandora_agent.conf into a Tentacle target and checks",
  ),
  importIcinga: method<ImportReport>()(
    z
      .object({
        /** An Icinga agent's configuration directory (zones.conf, constants.conf), e.g. /etc/icinga2. */
        dir: z.string().min(1, 'dir must be the Icinga configuration directory'),
        /** Its certificates directory (default: DIR/certs, then /var/lib/icinga2/certs). */
        certsDir: z.string().min(1).optional(),
        target: z.string().min(1).optional(),
        dryRun: z.boolean().default(false),
      })
      .strict(),
    "Turn an Icinga agent's zones.conf, constants.conf and certificates into an Icinga target",
  ),
  listBuiltinPresets: method<BuiltinPreset[]>()(
    empty,
    'The built-in checks, with their default options and thresholds',
  ),
  ...pandoraAgentsContract,
};

export interface ChecksEvents extends PandoraAgentsEvents {
  'checks.result': { check: string; result: CheckResult; deliveries: TargetDelivery[] };
}

export interface BuiltinPreset {
  kind: BuiltinKind;
  title: string;
  description: string;
  /** Options a new check of this kind starts with. */
  defaults: Record<string, string | number>;
  /** What warn/crit apply to. */
  thresholdsOn: string;
  required: string[];
}

/** What happened to one result for one target. */
export interface TargetDelivery {
  target: string;
  kind: TargetKind | undefined;
  /** Queue items created (delivery itself is the queue's job). */
  itemIds: string[];
  /** Gorgone: the node history row the result was recorded as (no queue item). */
  historyId?: number;
  /** Set when nothing could be queued for this target. */
  error?: string;
}
