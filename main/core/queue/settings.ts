import type { Settings } from '../settings/settings.ts';
import { parseWith } from '../contract/parse.ts';
import { ownValue } from '../own.ts';
import { splitQueueAddress } from '../contract/targets.ts';
import {
  type CapPolicy,
  queueSettingsSchema,
  type QueueSettings,
} from '../contract/queue-settings.ts';

export function readQueueSettings(settings: Settings): QueueSettings {
  return parseWith(queueSettingsSchema, settings.section('queue') ?? {}, 'queue');
}

export function writeQueueSettings(
  settings: Settings,
  patch: Partial<QueueSettings>,
): QueueSettings {
  const next = parseWith(
    queueSettingsSchema,
    { ...readQueueSettings(settings), ...patch },
    'queue',
  );
  settings.update((draft) => {
    (draft as Record<string, unknown>).queue = next;
  });
  return next;
}

/** A queue address's cap policy: its target's (a copy destination has none of its own). */
export function policyFor(settings: QueueSettings, address: string): CapPolicy {
  return ownValue(settings.policies, splitQueueAddress(address).target) ?? settings.defaultPolicy;
}
