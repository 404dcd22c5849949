import { describe, expect, it } from 'vitest';
import { canonicalFingerprint } from '../../renderer/src/pairing/frame.tsx';
import {
  gorgoneAuthorizedClient,
  icingaSignCommand,
  icingaTicketCommand,
  icingaZonesSnippet,
  shellQuote,
  tentacleServerCommand,
} from '../../renderer/src/pairing/server-text.ts';

describe('"what to do on the server" texts', () => {
  it('gives Gorgone the authorized_clients entry with our thumbprint (gorgone.md §6)', () => {
    const text = gorgoneAuthorizedClient('cS1fO1n8Jk7D4bQ0oYp1xQ9n9U3pWJc2mGZlV1g0N4s');
    expect(text.split('\n').at(-1)).toBe(
      '      - key: cS1fO1n8Jk7D4bQ0oYp1xQ9n9U3pWJc2mGZlV1g0N4s',
    );
    expect(text).toContain('authorized_clients:');
  });

  it('gives Icinga the ticket and on-demand signing commands (icinga2.md §3.3, §3.5)', () => {
    expect(icingaTicketCommand('ws-42.example.org')).toBe(
      'icinga2 pki ticket --cn ws-42.example.org',
    );
    expect(icingaTicketCommand("o'brien pc")).toBe(`icinga2 pki ticket --cn 'o'\\''brien pc'`);
    expect(icingaSignCommand('AB:CD:EF:01')).toBe('icinga2 ca sign abcdef01');
  });

  it('gives the master the agent Endpoint and Zone (icinga2.md §3.7)', () => {
    expect(icingaZonesSnippet('ws-42', 'master')).toBe(
      [
        'object Endpoint "ws-42" {',
        '}',
        '',
        'object Zone "ws-42" {',
        '  endpoints = [ "ws-42" ]',
        '  parent = "master"',
        '}',
      ].join('\n'),
    );
    expect(icingaZonesSnippet('a"b', 'm')).toContain('object Endpoint "a\\"b"');
  });

  it('gives tentacle_server the flags matching the chosen security (tentacle.md §14)', () => {
    expect(
      tentacleServerCommand({ tls: false, clientCertificate: false, password: false, port: 41121 }),
    ).toBe('tentacle_server -s /var/spool/pandora/data_in -p 41121');
    const strict = tentacleServerCommand({
      tls: true,
      clientCertificate: true,
      password: true,
      port: 41122,
    });
    expect(strict).toContain('-e /etc/tentacle/server.crt -k /etc/tentacle/server.key');
    expect(strict).toContain('-f /etc/tentacle/ca.crt');
    expect(strict).toContain("-x '<password>'");
    expect(
      tentacleServerCommand({ tls: false, clientCertificate: true, password: false, port: 1 }),
    ).not.toContain('-f');
  });

  it('quotes for the shell only when needed', () => {
    expect(shellQuote('plain-name_1.x')).toBe('plain-name_1.x');
    expect(shellQuote('two words')).toBe("'two words'");
  });

  it('compares fingerprints whatever their spelling', () => {
    expect(canonicalFingerprint('sha256/abcdef')).toBe('AB:CD:EF');
    expect(canonicalFingerprint('ab cd ef')).toBe('AB:CD:EF');
    expect(canonicalFingerprint('AB:CD:EF')).toBe('AB:CD:EF');
    expect(canonicalFingerprint('sha256 Fingerprint=AB:CD:EF')).toBe('AB:CD:EF');
    expect(canonicalFingerprint('SHA256 Fingerprint=ab:cd:ef\n')).toBe('AB:CD:EF');
  });
});
