/** Queue addresses: a target's own, and `<target>/<destination>` for a copy destination (issue #18). */
import { describe, expect, it } from 'vitest';
import { queueAddress, splitQueueAddress } from '../../../main/core/contract/targets.ts';
import { queueSettingsSchema } from '../../../main/core/contract/queue-settings.ts';
import { policyFor } from '../../../main/core/queue/settings.ts';

describe('queue addresses', () => {
  it('a destination is addressed under its target and splits back', () => {
    expect(queueAddress('pandora')).toBe('pandora');
    expect(queueAddress('pandora', 'secondary')).toBe('pandora/secondary');
    expect(splitQueueAddress('pandora/secondary')).toEqual({
      target: 'pandora',
      destination: 'secondary',
    });
    expect(splitQueueAddress('pandora')).toEqual({ target: 'pandora' });
  });

  it("a destination's items follow its target's cap policy", () => {
    const settings = queueSettingsSchema.parse({
      defaultPolicy: 'drop-oldest',
      policies: { pandora: 'refuse-new' },
    });
    expect(policyFor(settings, 'pandora/secondary')).toBe('refuse-new');
    expect(policyFor(settings, 'other/secondary')).toBe('drop-oldest');
  });
});
