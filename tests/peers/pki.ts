import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * Throwaway certificates for tests, made at run time (TESTING.md "Hygiene":
 * no private key is committed). Keys come from node:crypto (fast); node-forge
 * signs the X.509 structures.
 */
export interface Issued {
  certPem: string;
  keyPem: string;
  /** PKCS#1 or PKCS#8 PEM of the key, as node:crypto wrote it. */
  cert: forge.pki.Certificate;
}

export interface CertOptions {
  cn: string;
  /** DNS names and IP addresses for subjectAltName; defaults to the CN plus localhost and 127.0.0.1. */
  altNames?: string[];
  days?: number;
  /** Negative to make an already-expired certificate. */
  startOffsetDays?: number;
  bits?: number;
  isCa?: boolean;
  serverAuth?: boolean;
  clientAuth?: boolean;
}

function newKeyPair(bits: number): {
  keyPem: string;
  forgeKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const forgeKey = forge.pki.privateKeyFromPem(keyPem);
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { keyPem, forgeKey, publicKey };
}

function build(
  options: CertOptions,
  publicKey: forge.pki.rsa.PublicKey,
  issuer: { cert?: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  const start = new Date(Date.now() + (options.startOffsetDays ?? -1) * 86_400_000);
  cert.validity.notBefore = start;
  cert.validity.notAfter = new Date(start.getTime() + (options.days ?? 365) * 86_400_000);
  const subject = [{ name: 'commonName', value: options.cn }];
  cert.setSubject(subject);
  cert.setIssuer(issuer.cert === undefined ? subject : issuer.cert.subject.attributes);
  const altNames = (options.altNames ?? [options.cn, 'localhost', '127.0.0.1']).map((name) =>
    /^\d+\.\d+\.\d+\.\d+$/.test(name) || name.includes(':')
      ? { type: 7, ip: name }
      : { type: 2, value: name },
  );
  const extensions: object[] = [
    { name: 'basicConstraints', cA: options.isCa === true, critical: true },
    {
      name: 'keyUsage',
      critical: true,
      ...(options.isCa === true
        ? { keyCertSign: true, cRLSign: true, digitalSignature: true }
        : { digitalSignature: true, keyEncipherment: true }),
    },
    { name: 'subjectKeyIdentifier' },
  ];
  if (options.isCa !== true) {
    extensions.push({
      name: 'extKeyUsage',
      serverAuth: options.serverAuth ?? true,
      clientAuth: options.clientAuth ?? true,
    });
    extensions.push({ name: 'subjectAltName', altNames });
  }
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return cert;
}

export class TestCa {
  readonly certPem: string;
  readonly keyPem: string;
  readonly #cert: forge.pki.Certificate;
  readonly #key: forge.pki.rsa.PrivateKey;

  private constructor(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey, keyPem: string) {
    this.#cert = cert;
    this.#key = key;
    this.certPem = forge.pki.certificateToPem(cert);
    this.keyPem = keyPem;
  }

  static create(cn = 'Outpost Test CA', bits = 2048): TestCa {
    const { keyPem, forgeKey, publicKey } = newKeyPair(bits);
    const cert = build({ cn, isCa: true, days: 3650 }, publicKey, { key: forgeKey });
    return new TestCa(cert, forgeKey, keyPem);
  }

  /** A leaf certificate for a server or a client (both usages by default). */
  issue(options: CertOptions): Issued {
    const { keyPem, publicKey } = newKeyPair(options.bits ?? 2048);
    const cert = build(options, publicKey, { cert: this.#cert, key: this.#key });
    return { certPem: forge.pki.certificateToPem(cert), keyPem, cert };
  }
}

/** A self-signed leaf (no CA), e.g. a server nobody vouches for. */
export function selfSigned(options: CertOptions): Issued {
  const { keyPem, forgeKey, publicKey } = newKeyPair(options.bits ?? 2048);
  const cert = build(options, publicKey, { key: forgeKey });
  return { certPem: forge.pki.certificateToPem(cert), keyPem, cert };
}
