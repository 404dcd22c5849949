/**
 * Certificate work of pairing (spec icinga2.md §3.1, §3.6): the self-signed
 * certificate the master signs, fingerprints as `icinga2 ca list` and
 * `pki save-cert` show them, and the checks on a signed answer.
 */
import { createHash, createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { AgentError } from '../../contract/errors.ts';
import { commonName } from '../../identity/x509.ts';

/** Issued leaves last 397 days (§3.8); ours mirrors `pki new-cert`. */
const SELF_SIGNED_DAYS = 397;

/**
 * §3.1: what the master signs is an X.509 certificate, not a PKCS#10 CSR.
 * Only subject and public key are taken; we still mirror `pki new-cert`
 * (v3, CA:FALSE critical, SAN DNS:<cn>, SHA-256). notBefore = now so the
 * Timestamp column of `icinga2 ca list` is meaningful (§3.5).
 */
export function makeSelfSignedCertificate(
  keyPem: string,
  cn: string,
  now: Date = new Date(),
): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = positiveSerial();
  cert.validity.notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  cert.validity.notAfter = new Date(
    cert.validity.notBefore.getTime() + SELF_SIGNED_DAYS * 86_400_000,
  );
  const subject = [{ name: 'commonName', value: cn }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: cn }] },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/**
 * A 20-byte serial (SHA-1 of a random UUID, as Icinga makes them) that DER
 * encodes minimally as a positive INTEGER: top bit clear (else it would read
 * as negative) and first byte non-zero (a leading 0x00 before a byte under
 * 0x80 is "illegal padding" to OpenSSL, which then refuses the certificate —
 * one pairing in a few hundred failed that way).
 */
export function positiveSerial(): string {
  const bytes = createHash('sha1').update(randomUUID()).digest();
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/** Lower-case hex SHA-256 of the DER: `fingerprint_request`, `icinga2 ca list`, `ca sign <fp>` (§3.5). */
export function requestFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
}

/** `AB CD …` as `icinga2 pki save-cert` prints it (§3.2). */
export function spacedFingerprint(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?!$)/g, '$1 ');
}

export function derFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

export function certificateCn(pem: string): string | undefined {
  return commonName(new X509Certificate(pem).subject);
}

function samePublicKey(cert: X509Certificate, keyPem: string): boolean {
  const ours = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const theirs = cert.publicKey.export({ type: 'spki', format: 'der' });
  return Buffer.compare(ours, theirs) === 0;
}

/**
 * §3.6: `cert` parses, is issued and signed by `ca`, holds our public key and
 * our CN; `ca` is a CA certificate; the pinned master leaf chains to `ca`.
 * Throws an AgentError naming what did not hold.
 */
export function verifySignedAnswer(args: {
  certPem: string;
  caPem: string;
  keyPem: string;
  cn: string;
  /** Every master of the parent zone we pinned: each must chain to the returned CA (HA zones share one CA). */
  masterLeaves?: ReadonlyArray<{ endpoint: string; certPem: string }>;
}): void {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(args.certPem);
    ca = new X509Certificate(args.caPem);
  } catch (error) {
    throw new AgentError(
      'protocol',
      `the master's answer holds an unreadable certificate: ${(error as Error).message}`,
    );
  }
  if (!ca.ca)
    throw new AgentError(
      'protocol',
      "the 'ca' the master returned is not a CA certificate (basicConstraints CA:FALSE)",
    );
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new AgentError(
      'protocol',
      `the signed certificate is not signed by the returned CA '${commonName(ca.subject) ?? ca.subject}'`,
    );
  }
  const cn = commonName(cert.subject);
  if (cn !== args.cn) {
    throw new AgentError(
      'protocol',
      `CN mismatch: the master signed a certificate for '${cn ?? '(none)'}' but this agent asked for '${args.cn}': check the endpoint name on the master`,
    );
  }
  if (!samePublicKey(cert, args.keyPem)) {
    throw new AgentError(
      'protocol',
      "the signed certificate does not hold this agent's public key: refusing it",
    );
  }
  for (const master of args.masterLeaves ?? []) {
    const leaf = new X509Certificate(master.certPem);
    if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) {
      throw new AgentError(
        'untrusted-peer',
        `the certificate of the master ${master.endpoint} does not chain to the CA '${commonName(ca.subject) ?? ca.subject}' that was returned: refusing the answer (the masters of one zone share one CA)`,
      );
    }
  }
}

/** True when the certificate is self-signed (pending pairing) rather than issued by a CA. */
export function isSelfSigned(pem: string): boolean {
  const cert = new X509Certificate(pem);
  return cert.subject === cert.issuer && cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/**
 * Signed by the master: a CA and a certificate that is not our self-signed
 * request (§3.6). `files` as the identity store reads a target's.
 */
export function isSignedIdentity<Files extends { certPem?: string; caPem?: string }>(
  files: Files,
): files is Files & { certPem: string; caPem: string } {
  return files.caPem !== undefined && files.certPem !== undefined && !isSelfSigned(files.certPem);
}

export function daysLeft(pem: string, now: number = Date.now()): number {
  return (new Date(new X509Certificate(pem).validTo).getTime() - now) / 86_400_000;
}
