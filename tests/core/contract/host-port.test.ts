import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../main/core/contract/errors.ts';
import { formatHostPort, parseHostPort, parsePort } from '../../../main/core/contract/host-port.ts';

const FIELD = '--server';

function refusal(value: string, defaultPort = 5665): AgentError {
  try {
    parseHostPort(value, defaultPort, FIELD);
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error(`expected '${value}' to be refused`);
}

function expectNamed(error: AgentError): void {
  expect(error.code).toBe('invalid-request');
  expect(error.field).toBe(FIELD);
  expect(error.message.startsWith(`${FIELD}: `)).toBe(true);
}

const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6());
const port = fc.integer({ min: 1, max: 65535 });

describe('HOST[:PORT], the one parser of server addresses', () => {
  it('reads what the seed, the CLI and the imports give it, with the default port', () => {
    expect(parseHostPort('icinga.example', 5665, FIELD)).toEqual({
      host: 'icinga.example',
      port: 5665,
    });
    expect(parseHostPort(' 10.0.0.1:7000 ', 5665, FIELD)).toEqual({ host: '10.0.0.1', port: 7000 });
    expect(parseHostPort('[::1]:65535', 9, FIELD)).toEqual({ host: '::1', port: 65535 });
    expect(parseHostPort('[2001:db8::1]', 5556, FIELD)).toEqual({
      host: '2001:db8::1',
      port: 5556,
    });
    expect(parseHostPort('[fe80::1%eth0]:1', 9, FIELD)).toEqual({ host: 'fe80::1%eth0', port: 1 });
    expect(parseHostPort('ad_host.corp.example.', 41121, FIELD)).toEqual({
      host: 'ad_host.corp.example.',
      port: 41121,
    });
  });

  it('round-trips every host name, IPv4 and IPv6 address with any port', () => {
    fc.assert(
      fc.property(host, port, port, (h, p, defaultPort) => {
        expect(parseHostPort(formatHostPort({ host: h, port: p }), defaultPort, FIELD)).toEqual({
          host: h,
          port: p,
        });
        const bare = h.includes(':') ? `[${h}]` : h;
        expect(parseHostPort(bare, defaultPort, FIELD)).toEqual({ host: h, port: defaultPort });
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses an IPv6 address without brackets, and says how to write it', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.option(port), (address, p) => {
        const error = refusal(p === null ? address : `${address}:${p}`, 5556);
        expectNamed(error);
        expect(error.message).toContain(
          'write an IPv6 address in brackets, e.g. [2001:db8::1]:5556',
        );
      }),
      { numRuns: 300 },
    );
    expectNamed(refusal('[1.2.3.4]:80'));
    expect(refusal('[not-v6]').message).toMatch(/is not an IPv6 address/);
  });

  it('refuses a port that is not 1–65535, naming the field', () => {
    const badPort = fc.oneof(
      fc.constantFrom(
        '0',
        '00000',
        '65536',
        '99999',
        '123456',
        '',
        '-1',
        '+80',
        ' 80',
        '0x50',
        '8e1',
      ),
      fc.integer({ min: 65536, max: 10_000_000 }).map(String),
      // A ':' in the port would make a bare host read as an IPv6 address (refused on its own);
      // trailing blanks are trimmed with the whole value, so '1 ' is port 1.
      fc
        .string({ minLength: 1, maxLength: 8 })
        .filter((s) => !/^\d{1,5}$/.test(s.trimEnd()) && !s.includes(':')),
    );
    fc.assert(
      fc.property(host, badPort, (h, p) => {
        const error = refusal(`${h.includes(':') ? `[${h}]` : h}:${p}`);
        expectNamed(error);
        expect(error.message).toMatch(/must be a number from 1 to 65535/);
      }),
      { numRuns: 500 },
    );
    expect(() => parsePort('65536', 'DISPATCHER_PORT')).toThrow(
      "DISPATCHER_PORT: port '65536' must be a number from 1 to 65535",
    );
  });

  it('refuses what is not a host name or an IPv4 address, naming the field and the form', () => {
    for (const value of ['', ':5665', 'bad_host!', 'a b', '-lead.example', '10.0.0.300', 'h/x']) {
      const error = refusal(value);
      expectNamed(error);
      expect(error.message).toMatch(/is not HOST\[:PORT\] with a valid host name or IPv4 address/);
    }
  });

  it('answers any text with an address or an AgentError naming the field', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          const { host: h, port: p } = parseHostPort(text, 10000, FIELD);
          expect(h).not.toBe('');
          expect(p).toBeGreaterThanOrEqual(1);
          expect(p).toBeLessThanOrEqual(65535);
        } catch (error) {
          expectNamed(error as AgentError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
