import { resultIdWord } from '../../checks/result.ts';
import type { QueueItem } from '../../contract/queue-items.ts';
import type { CheckResultDelivery, CheckResultOutcome } from '../../targets/driver.ts';
import { resultValues } from './codec.ts';

/** A local check's result as values: `outpost.<agent>.<check>.state` and one per perfdata label. */
export async function deliverOnsphereCheckResult(
  target: { name: string },
  delivery: CheckResultDelivery,
): Promise<CheckResultOutcome> {
  const { check, naming, result } = delivery;
  const prefix =
    naming.valueId ?? `outpost.${resultIdWord(delivery.agentName)}.${resultIdWord(check.name)}`;
  const items: QueueItem[] = [];
  for (const value of resultValues(prefix, result, result.perfdata)) {
    items.push(...(await delivery.enqueue({ kind: 'value', targets: [target.name], value })));
  }
  return { items };
}
