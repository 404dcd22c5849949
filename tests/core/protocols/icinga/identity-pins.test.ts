import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openIcingaAgent, type TestAgent } from './helpers.ts';

const FP_A = 'a1'.repeat(32);
const FP_B = 'b2'.repeat(32);
const colons = (hex: string): string => hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');

describe('getIdentity lists the pin of every master of an Icinga HA parent zone (issue #18)', () => {
  let t: TestAgent;
  beforeEach(async () => {
    t = await openIcingaAgent('icinga-identity-pins');
  });
  afterEach(async () => {
    await t.close();
  });

  it('one pin per master, each naming its endpoint and address; other pins as stored', async () => {
    const ctx = t.agent.context;
    ctx.targets.save('ha', 'icinga', {
      masters: [
        { host: '127.0.0.1', port: 5665, endpoint: 'master.test', fingerprint: FP_A },
        { host: 'master2.example', port: 5666, endpoint: 'master2.test', fingerprint: FP_B },
      ],
      cn: 'agent.test',
      zone: 'agent.test',
    });
    // What pairing writes besides the config: the first master's pin.
    const stored = await ctx.identity.setPin({
      target: 'ha',
      kind: 'tls-sha256',
      value: colons(FP_A),
      subject: 'CN=master.test',
    });
    // A pin of a target without several servers (here: none saved) stays as stored.
    const gorgone = await ctx.identity.setPin({
      target: 'gone',
      kind: 'jwk-thumbprint',
      value: 'thumb',
    });

    const { pins } = await t.agent.api.getIdentity({});
    expect(pins).toEqual([
      gorgone,
      {
        target: 'ha',
        peer: 'master.test (127.0.0.1:5665)',
        kind: 'tls-sha256',
        value: colons(FP_A),
        pinnedAt: stored.pinnedAt,
      },
      {
        target: 'ha',
        peer: 'master2.test (master2.example:5666)',
        kind: 'tls-sha256',
        value: colons(FP_B),
        pinnedAt: stored.pinnedAt,
      },
    ]);
  });

  it('a target stored before HA parents (one master, pin in the identity store only) lists that pin for its master', async () => {
    const ctx = t.agent.context;
    ctx.targets.save('old', 'icinga', {
      host: '::1',
      port: 5665,
      endpoint: 'master.test',
      cn: 'agent.test',
      zone: 'agent.test',
    });
    const stored = await ctx.identity.setPin({
      target: 'old',
      kind: 'tls-sha256',
      value: colons(FP_A),
      subject: 'CN=master.test',
    });
    const { pins } = await t.agent.api.getIdentity({});
    expect(pins).toEqual([{ ...stored, subject: undefined, peer: 'master.test ([::1]:5665)' }]);
  });

  it('a target whose stored config no longer reads still shows its stored pin', async () => {
    const ctx = t.agent.context;
    ctx.settings.update((draft) => {
      draft.targets.broken = {
        name: 'broken',
        kind: 'icinga',
        createdAt: new Date().toISOString(),
        paused: false,
        config: { masters: [], cn: 'agent.test', zone: 'agent.test' },
      };
    });
    const stored = await ctx.identity.setPin({
      target: 'broken',
      kind: 'tls-sha256',
      value: colons(FP_A),
    });
    const { pins } = await t.agent.api.getIdentity({});
    expect(pins).toEqual([stored]);
  });
});
