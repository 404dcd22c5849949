import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  canonicalRsaJwk,
  generateRsaKeyPair,
  jwkThumbprint,
  parsePublicKey,
  publicKeyFromPem,
} from '../../main/core/identity/keys.ts';
import { IdentityStore, maskSecret } from '../../main/core/identity/store.ts';
import {
  normalizeFingerprint,
  parseCertificate,
  summarizeCertificate,
} from '../../main/core/identity/x509.ts';
import { FileSecretStore } from '../../main/core/secrets.ts';
import { makeTempDir } from '../peers/util.ts';
import { TestCa } from '../peers/pki.ts';
import { thumbprintVectors } from '../vectors.ts';

describe('JWK thumbprints (RFC 7638)', () => {
  const vectors = thumbprintVectors();

  it('reads every vector of gorgone-thumbprint.txt', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(4);
  });

  for (const vector of thumbprintVectors()) {
    it(`equals the real gorgone_key_thumbprint.pl output for ${vector.name}`, () => {
      const key = publicKeyFromPem(vector.pem);
      expect(canonicalRsaJwk(key)).toBe(vector.canonicalJwk);
      expect(jwkThumbprint(key)).toBe(vector.thumbprint);
    });
  }

  it("parses the server's SPKI body mislabelled 'RSA PUBLIC KEY' (gorgone.md §4 quirk)", () => {
    const spki = thumbprintVectors().find((v) => v.pem.includes('BEGIN PUBLIC KEY'));
    expect(spki).toBeDefined();
    const mislabelled = spki!.pem.replace(/PUBLIC KEY-----/g, 'RSA PUBLIC KEY-----');
    expect(() => createPublicKey(mislabelled)).toThrow();
    expect(jwkThumbprint(parsePublicKey(mislabelled))).toBe(spki!.thumbprint);
  });

  it('gives a private key and its public key the same thumbprint', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privatePem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const publicPem = publicKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    expect(jwkThumbprint(publicKeyFromPem(privatePem))).toBe(
      jwkThumbprint(publicKeyFromPem(publicPem)),
    );
  });

  it('rejects text that is not a PEM key with a clear message', () => {
    expect(() => parsePublicKey('hello')).toThrow(/not a PEM public key/);
    expect(() =>
      parsePublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'),
    ).toThrow(/neither an SPKI nor a PKCS#1/);
  });
});

describe('RSA key generation', () => {
  it('refuses keys under 2048 bits', async () => {
    await expect(generateRsaKeyPair(1024)).rejects.toThrow(/at least 2048 bits/);
  });

  it('generates a usable pair of the requested size', async () => {
    const pair = await generateRsaKeyPair(2048);
    expect(publicKeyFromPem(pair.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(jwkThumbprint(publicKeyFromPem(pair.publicKeyPem))).toBe(
      jwkThumbprint(publicKeyFromPem(pair.privateKeyPem)),
    );
  });
});

describe('IdentityStore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('identity'));
  });
  afterEach(() => cleanup());

  it('writes the private key 0600 in a 0700 directory, and reuses it', async () => {
    const store = new IdentityStore(
      join(dir, 'identity'),
      new FileSecretStore(join(dir, 'secrets.json')),
    );
    const first = await store.agentKey(2048);
    expect((await stat(first.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'identity'))).mode & 0o777).toBe(0o700);
    const again = await new IdentityStore(
      join(dir, 'identity'),
      new FileSecretStore(join(dir, 'secrets.json')),
    ).agentKey(2048);
    expect(again.thumbprint).toBe(first.thumbprint);
  });

  it('two stores generating at once end with one key', async () => {
    const secrets = new FileSecretStore(join(dir, 'secrets.json'));
    const [a, b] = await Promise.all([
      new IdentityStore(join(dir, 'identity'), secrets).agentKey(2048),
      new IdentityStore(join(dir, 'identity'), secrets).agentKey(2048),
    ]);
    expect(a.thumbprint).toBe(b.thumbprint);
  });

  it('stores pins and per-target certificates and summarizes them', async () => {
    const secrets = new FileSecretStore(join(dir, 'secrets.json'));
    const store = new IdentityStore(join(dir, 'identity'), secrets);
    const ca = TestCa.create();
    const leaf = ca.issue({ cn: 'ws-42' });
    const files = await store.saveCertificates('master', {
      certPem: leaf.certPem,
      keyPem: leaf.keyPem,
      caPem: ca.certPem,
    });
    expect((await stat(files.keyPath)).mode & 0o777).toBe(0o600);
    const certs = await store.certificates();
    expect(certs.map((c) => [c.target, c.role, c.summary.subjectCN])).toEqual([
      ['master', 'client', 'ws-42'],
      ['master', 'ca', 'Outpost Test CA'],
    ]);
    await store.setPin({
      target: 'master',
      kind: 'tls-sha256',
      value: certs[0]!.summary.fingerprintSha256,
    });
    expect((await store.pin('master'))?.value).toBe(parseCertificate(leaf.certPem).fingerprint256);
    await secrets.set('target/master/ticket', '0123456789abcdef0123');
    expect(await store.tickets()).toEqual([{ target: 'master', masked: '0123••••••••0123' }]);
    await store.removeTarget('master');
    expect(await store.certificates()).toEqual([]);
    expect(await store.pin('master')).toBeUndefined();
  });

  it('refuses a target name that would escape the identity folder', async () => {
    const store = new IdentityStore(
      join(dir, 'identity'),
      new FileSecretStore(join(dir, 's.json')),
    );
    await expect(store.saveCertificates('../evil', { certPem: 'x' })).rejects.toThrow(
      /not a safe folder name/,
    );
  });
});

describe('certificates and fingerprints', () => {
  it('matches openssl-style SHA-256 fingerprints and counts days left', () => {
    const ca = TestCa.create();
    const leaf = ca.issue({ cn: 'master1', days: 10, startOffsetDays: -1 });
    const summary = summarizeCertificate(parseCertificate(leaf.certPem));
    expect(summary.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(summary.daysLeft).toBe(8);
    expect(summary.subjectCN).toBe('master1');
    expect(summary.selfSigned).toBe(false);
  });

  it('normalizes the ways people paste a fingerprint', () => {
    const hex = 'ab'.repeat(32);
    const canonical = normalizeFingerprint(hex);
    expect(normalizeFingerprint(canonical.toLowerCase())).toBe(canonical);
    expect(normalizeFingerprint(`sha256/${hex}`)).toBe(canonical);
    expect(() => normalizeFingerprint('abc', 'trustFingerprint')).toThrow(
      /trustFingerprint must be a SHA-256/,
    );
  });

  it('masks secrets for display', () => {
    expect(maskSecret('short')).toBe('•••••');
    expect(maskSecret('averylongsecretvalue')).toBe('aver••••••••alue');
  });
});

describe('FileSecretStore', () => {
  it('keeps secrets in a 0600 file and says it is not encrypted', async () => {
    const { dir, cleanup } = await makeTempDir('secrets');
    try {
      const store = new FileSecretStore(join(dir, 'secrets.json'));
      expect(store.encrypted).toBe(false);
      await store.set('target/t/password', 's3cret');
      expect((await stat(join(dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
      expect(await store.get('target/t/password')).toBe('s3cret');
      await store.delete('target/t/password');
      expect(await store.list()).toEqual([]);
      await writeFile(join(dir, 'other.json'), '{}');
    } finally {
      await cleanup();
    }
  });
});
