import type { CheckResultPayload } from '../../contract/queue-items.ts';
import type { CheckResultDelivery, CheckResultOutcome } from '../../targets/driver.ts';
import { perfdataStrings } from '../../checks/result.ts';

/** A local check's result as an Icinga check result (icinga2.md §4.2): host defaults to our endpoint name, service to the check name. */
export function icingaCheckResult(
  delivery: Pick<CheckResultDelivery, 'check' | 'naming' | 'result' | 'agentName'>,
  cn: string | undefined,
): CheckResultPayload {
  const { check, naming, result } = delivery;
  const source = cn ?? delivery.agentName;
  const longLines = [
    result.longOutput,
    result.reason === undefined || result.output.includes(result.reason)
      ? ''
      : `(${result.reason})`,
  ].filter((l) => l !== '');
  const payload: CheckResultPayload = {
    host: naming.host ?? source,
    service: naming.service ?? check.name,
    state: result.state,
    output: result.output,
    performanceData: perfdataStrings(result),
    executionStart: result.executionStart,
    executionEnd: result.executionEnd,
    scheduleStart: result.scheduleStart,
    checkSource: source,
    check: check.name,
  };
  if (longLines.length > 0) payload.longOutput = longLines.join('\n');
  return payload;
}

export async function deliverIcingaCheckResult(
  target: { name: string; config: { cn?: string } },
  delivery: CheckResultDelivery,
): Promise<CheckResultOutcome> {
  const items = await delivery.enqueue({
    kind: 'check-result',
    targets: [target.name],
    result: icingaCheckResult(delivery, target.config.cn),
  });
  return { items };
}
