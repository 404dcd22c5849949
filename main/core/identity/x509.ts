import { X509Certificate, createHash } from 'node:crypto';
import { AgentError } from '../contract/errors.ts';
import type { CertificateSummary } from '../contract/identity.ts';

export const EXPIRY_WARNING_DAYS = 30;

export function parseCertificate(pem: string | Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new AgentError(
      'invalid-request',
      `not an X.509 certificate: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

export function commonName(distinguishedName: string): string | undefined {
  for (const line of distinguishedName.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return undefined;
}

/** Colon-separated upper-case SHA-256 of DER bytes. */
export function sha256Fingerprint(der: Buffer): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

/** Accepts `AB:CD:…`, `abcd…` or `sha256/abcd…`; returns the canonical form. */
export function normalizeFingerprint(input: string, field = 'fingerprint'): string {
  const hex = input
    .trim()
    .replace(/^sha256[/:]/i, '')
    .replace(/[:\s]/g, '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new AgentError(
      'invalid-request',
      `${field} must be a SHA-256 fingerprint (64 hex digits, colons allowed), got '${input}'`,
      { field },
    );
  }
  return hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

export function summarizeCertificate(
  cert: X509Certificate,
  now: Date = new Date(),
): CertificateSummary {
  const notAfter = new Date(cert.validTo);
  return {
    subjectCN: commonName(cert.subject),
    issuerCN: commonName(cert.issuer),
    fingerprintSha256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
    selfSigned: cert.subject === cert.issuer && cert.checkIssued(cert),
  };
}
