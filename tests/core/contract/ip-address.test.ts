import fc from 'fast-check';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isIpAddress } from '../../../main/core/contract/ip-address.ts';

describe('isIpAddress (the contract cannot use node:net: it is bundled into the sandboxed preload)', () => {
  it('agrees with node:net isIP on addresses and near-misses', () => {
    for (const value of [
      '127.0.0.1',
      '10.0.0.5',
      '255.255.255.255',
      '256.0.0.1',
      '010.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '::1',
      '::',
      'fe80::1%eth0',
      'fe80::1%',
      '::%:', // fast-check counterexample: node's zones may hold ':'
      'fe80::1%a_b',
      '2001:db8::1:2:3:4:5',
      '2001:db8:0:0:0:0:2:1',
      '::ffff:192.0.2.1',
      '1::2::3',
      '12345::1',
      ':::',
      'eth0',
      'localhost',
      '',
      ' 10.0.0.1',
    ])
      expect(isIpAddress(value), value).toBe(isIP(value) !== 0);
  });

  it('agrees with node:net isIP on generated IPv4, IPv6 and random strings', () => {
    const candidates = fc.oneof(
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6(),
      fc.ipV6().map((v) => `${v}%eth0`),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef:.%'.split('')), maxLength: 45 }),
    );
    fc.assert(
      fc.property(candidates, (value) => isIpAddress(value) === (isIP(value) !== 0)),
      { numRuns: 5000 },
    );
  });
});
