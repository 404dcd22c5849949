import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  isSelfSigned,
  makeSelfSignedCertificate,
  positiveSerial,
  requestFingerprint,
  spacedFingerprint,
  verifySignedAnswer,
} from '../../../../main/core/protocols/icinga/certs.ts';
import { TestCa } from '../../../peers/pki.ts';

const ca = TestCa.create('Icinga CA');
const otherCa = TestCa.create('Other CA');
const agent = ca.issue({ cn: 'agent1.test', altNames: ['agent1.test'] });
const master = ca.issue({ cn: 'master.test', altNames: ['master.test'] });

describe('Icinga certificate checks (spec §3.1, §3.6)', () => {
  it('makes serials that DER-encode as minimal positive integers, so OpenSSL always parses the certificate', () => {
    for (let i = 0; i < 20_000; i++) {
      const first = Number.parseInt(positiveSerial().slice(0, 2), 16);
      // Top bit clear (positive) and not zero (no padding byte).
      expect(first >= 0x40 && first <= 0x7f, `first byte ${first.toString(16)}`).toBe(true);
    }
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    for (let i = 0; i < 300; i++) {
      const pem = makeSelfSignedCertificate(keyPem, 'agent.example');
      expect(new X509Certificate(pem).serialNumber).toMatch(/^[4-7][0-9A-F]{39}$/);
    }
  });

  it('makes the self-signed certificate the master signs: our key, CN, SAN, CA:FALSE, notBefore now', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const pem = makeSelfSignedCertificate(
      keyPem,
      'desktop-01.example.com',
      new Date('2026-11-22T14:33:54.700Z'),
    );
    const cert = new X509Certificate(pem);
    expect(cert.subject).toBe('CN=desktop-01.example.com');
    expect(cert.subjectAltName).toBe('DNS:desktop-01.example.com');
    expect(cert.ca).toBe(false);
    expect(new Date(cert.validFrom).toISOString()).toBe('2026-11-22T14:33:54.000Z');
    expect(isSelfSigned(pem)).toBe(true);
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(
      createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }),
    );
    expect(requestFingerprint(pem)).toMatch(/^[0-9a-f]{64}$/);
    expect(isSelfSigned(agent.certPem)).toBe(false);
  });

  it('formats fingerprints as icinga2 pki save-cert prints them', () => {
    expect(spacedFingerprint('759d2f9c')).toBe('75 9D 2F 9C');
  });

  it('accepts a certificate signed by the returned CA for our key and CN', () => {
    expect(() =>
      verifySignedAnswer({
        certPem: agent.certPem,
        caPem: ca.certPem,
        keyPem: agent.keyPem,
        cn: 'agent1.test',
        masterLeaves: [
          { endpoint: 'master.test', certPem: master.certPem },
          { endpoint: 'master2.test', certPem: ca.issue({ cn: 'master2.test' }).certPem },
        ],
      }),
    ).not.toThrow();
  });

  it('refuses a CN mismatch, a foreign key, another CA, a non-CA and a master outside the CA', () => {
    const base = {
      certPem: agent.certPem,
      caPem: ca.certPem,
      keyPem: agent.keyPem,
      cn: 'agent1.test',
    };
    expect(() => verifySignedAnswer({ ...base, cn: 'Agent1.Test' })).toThrow(/CN mismatch/);
    expect(() => verifySignedAnswer({ ...base, keyPem: master.keyPem })).toThrow(/public key/);
    expect(() => verifySignedAnswer({ ...base, caPem: otherCa.certPem })).toThrow(
      /not signed by the returned CA/,
    );
    expect(() => verifySignedAnswer({ ...base, caPem: master.certPem })).toThrow(/not a CA/);
    const foreignMaster = otherCa.issue({ cn: 'master2.test' });
    // HA parents: the second master of the zone outside the CA is refused, by name.
    expect(() =>
      verifySignedAnswer({
        ...base,
        masterLeaves: [
          { endpoint: 'master.test', certPem: master.certPem },
          { endpoint: 'master2.test', certPem: foreignMaster.certPem },
        ],
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'untrusted-peer',
        message: expect.stringContaining('master2.test') as string,
      }),
    );
  });
});
