import type { AgentContext } from '../../context.ts';
import { perfdataStrings, resultIdWord } from '../../checks/result.ts';
import type { CheckResultDelivery, CheckResultOutcome } from '../../targets/driver.ts';
import { recordHistory } from './history.ts';

/** gorgone.md §3 result codes: MODULE_ACTION_COMMAND_RESULT. */
const GORGONE_COMMAND_RESULT = 100;

/**
 * A local check's result as a row of the node history, shaped as the action
 * module's command result (gorgone.md §8 COMMAND: code 100, `{command, result:
 * {exit_code, stdout}, metrics}`), so a central's GETLOG/SETLOGS picks it up.
 * One token per check: a GETLOG filtered on it (§9) is that check's history.
 */
export function gorgoneHistoryEntry(
  delivery: Pick<CheckResultDelivery, 'check' | 'result' | 'agentName'>,
): { code: number; token: string; data: unknown; etime: number } {
  const { check: def, result } = delivery;
  const command =
    def.command !== undefined ? def.command.argv.join(' ') : `builtin:${def.builtin?.kind ?? ''}`;
  const perfdata = perfdataStrings(result);
  const stdout = [
    result.output + (perfdata.length > 0 ? ` | ${perfdata.join(' ')}` : ''),
    result.longOutput,
  ]
    .filter((l) => l !== '')
    .join('\n');
  return {
    code: GORGONE_COMMAND_RESULT,
    token: `outpost-check-${resultIdWord(def.name)}`,
    etime: Math.floor(result.executionEnd),
    data: {
      command,
      result: { exit_code: result.exitCode ?? result.state, stdout },
      metrics: {
        start: result.executionStart,
        end: result.executionEnd,
        duration: result.executionEnd - result.executionStart,
      },
      metadata: {
        source: 'outpost-checks',
        check: def.name,
        host: delivery.agentName,
        state: result.state,
        state_name: result.stateName,
        perfdata,
        ...(result.reason === undefined ? {} : { reason: result.reason }),
      },
    },
  };
}

/** Gorgone has no queue item for a result: it is a history row the central pulls. */
export async function deliverGorgoneCheckResult(
  ctx: AgentContext,
  delivery: CheckResultDelivery,
): Promise<CheckResultOutcome> {
  return { items: [], historyId: recordHistory(ctx, gorgoneHistoryEntry(delivery)).id };
}
