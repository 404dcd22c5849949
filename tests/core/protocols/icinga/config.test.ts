/**
 * The Icinga target config: a list of masters (HA parent zones, issue #18),
 * with configs stored before it (one master in host/port/endpoint) read as a
 * one-element list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { icingaContract } from '../../../../main/core/contract/icinga.ts';
import { icingaTargetConfigSchema } from '../../../../main/core/protocols/icinga/config.ts';

const name = fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/);
const port = fc.integer({ min: 1, max: 65535 });

function issues(input: unknown): string[] {
  const parsed = icingaTargetConfigSchema.safeParse(input);
  if (parsed.success) throw new Error('expected a refusal');
  return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('Icinga target config', () => {
  it('reads a single-master config stored before HA parents as a one-element masters list', () => {
    const stored = {
      host: '192.0.2.20',
      port: 5666,
      endpoint: 'master1.example.net',
      cn: 'agent1.example.net',
      zone: 'agent1.example.net',
      transport: 'rest',
      restUser: 'outpost',
      commandEndpoint: { policy: { enabled: true, allow: ['^/bin/true$'] }, commands: {} },
    };
    const config = icingaTargetConfigSchema.parse(stored);
    expect(config.masters).toEqual([
      { host: '192.0.2.20', port: 5666, endpoint: 'master1.example.net' },
    ]);
    expect(config).not.toHaveProperty('host');
    expect(config).toMatchObject({ transport: 'rest', restUser: 'outpost' });
    expect(config.commandEndpoint.policy).toMatchObject({ enabled: true, allow: ['^/bin/true$'] });
    // Without a port the Icinga default, as before.
    const { port: _port, ...noPort } = stored;
    expect(icingaTargetConfigSchema.parse(noPort).masters[0]!.port).toBe(5665);
  });

  it('migrates any single-master config to the list, and the saved list reads back the same (property)', () => {
    fc.assert(
      fc.property(
        name,
        fc.option(port, { nil: undefined }),
        name,
        name,
        (host, p, endpoint, cn) => {
          const legacy = { host, ...(p === undefined ? {} : { port: p }), endpoint, cn, zone: cn };
          const config = icingaTargetConfigSchema.parse(legacy);
          expect(config.masters).toEqual([{ host, port: p ?? 5665, endpoint }]);
          // What the agent saves is the new shape; reading it again changes nothing.
          expect(icingaTargetConfigSchema.parse(JSON.parse(JSON.stringify(config)))).toEqual(
            config,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps every master of the zone with its pin, in order', () => {
    const fp = 'ab'.repeat(32);
    const config = icingaTargetConfigSchema.parse({
      masters: [
        { host: '127.0.0.1', port: 5665, endpoint: 'm1', fingerprint: fp },
        { host: '::1', endpoint: 'm2' },
      ],
      cn: 'a',
      zone: 'a',
    });
    expect(config.masters).toEqual([
      { host: '127.0.0.1', port: 5665, endpoint: 'm1', fingerprint: fp },
      { host: '::1', port: 5665, endpoint: 'm2' },
    ]);
  });

  it('refuses a list and single-master fields together, an empty or repeated list, a bad pin, naming the field', () => {
    const base = { cn: 'a', zone: 'a' };
    const one = { host: 'h', endpoint: 'm1' };
    expect(issues({ ...base, masters: [one], host: 'h2' })).toEqual([
      "host: give the masters list or the single master's host, not both",
    ]);
    expect(issues({ ...base, masters: [] })).toEqual([
      'masters: masters must list at least one Icinga master',
    ]);
    expect(issues({ ...base, masters: [one, { host: 'h2', endpoint: 'm1' }] })).toEqual([
      "masters.1.endpoint: endpoint 'm1' is listed twice: each master of the zone once",
    ]);
    expect(issues({ ...base, masters: [{ ...one, fingerprint: 'AB:CD' }] })).toEqual([
      'masters.0.fingerprint: fingerprint must be 64 lower-case hex digits (SHA-256)',
    ]);
    expect(
      issues({
        ...base,
        masters: Array.from({ length: 9 }, (_, i) => ({ host: 'h', endpoint: `m${i}` })),
      }),
    ).toEqual(['masters: masters: at most 8 endpoints of the parent zone']);
    expect(issues({ ...base, endpoint: 'm1' })).toEqual([
      'masters.0.host: host must name the Icinga master (host name or IP)',
    ]);
    expect(issues({ ...base, host: 'h' })).toEqual([
      "masters.0.endpoint: endpoint must be the master's endpoint name (its certificate's CN)",
    ]);
  });
});

describe('pairIcinga request', () => {
  const schema = icingaContract.pairIcinga.request;
  const fp = 'ab'.repeat(32);
  const refusal = (input: unknown): string[] => {
    const parsed = schema.safeParse(input);
    if (parsed.success) throw new Error('expected a refusal');
    return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes one master (as before HA parents) or the masters list', () => {
    expect(schema.parse({ name: 'm', host: 'h', trustFingerprint: fp })).toMatchObject({
      host: 'h',
      port: 5665,
    });
    expect(
      schema.parse({
        name: 'm',
        masters: [
          { host: 'a', trustFingerprint: fp },
          { host: 'b', port: 5666, trustFingerprint: fp },
        ],
      }).masters,
    ).toEqual([
      { host: 'a', port: 5665, trustFingerprint: fp },
      { host: 'b', port: 5666, trustFingerprint: fp },
    ]);
  });

  it('refuses both shapes at once, neither, or an empty list, naming the field', () => {
    expect(
      refusal({ name: 'm', host: 'h', masters: [{ host: 'a', trustFingerprint: fp }] }),
    ).toEqual([
      "host: give the masters list or a single master's host and trustFingerprint, not both",
    ]);
    expect(refusal({ name: 'm' })).toEqual([
      'host: host must name the Icinga master (host name or IP), or give masters',
      'trustFingerprint: trustFingerprint must be the SHA-256 fingerprint of the master certificate',
    ]);
    expect(refusal({ name: 'm', masters: [] })).toEqual([
      'masters: masters must list at least one Icinga master',
    ]);
    expect(refusal({ name: 'm', masters: [{ host: 'a' }] })).toEqual([
      'masters.0.trustFingerprint: trustFingerprint must be the SHA-256 fingerprint of the master certificate',
    ]);
  });
});
