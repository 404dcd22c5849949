/** What the agent shows of its identity: keys, certificates and pins (response types). */
export interface CertificateSummary {
  subjectCN: string | undefined;
  issuerCN: string | undefined;
  /** SHA-256 of the DER, upper-case hex with colons, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprintSha256: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  selfSigned: boolean;
}

export interface AgentKeyInfo {
  privateKeyPath: string;
  publicKeyPath: string;
  bits: number;
  thumbprint: string;
  publicKeyPem: string;
}

export type PinKind = 'tls-sha256' | 'jwk-thumbprint';

export interface Pin {
  target: string;
  /**
   * Which of the target's servers the pin checks, when the target has several
   * (each master of an Icinga HA parent zone: `endpoint (host:port)`).
   */
  peer?: string;
  kind: PinKind;
  /** Canonical fingerprint (`AB:CD…`) or JWK thumbprint. */
  value: string;
  /** What was pinned: a certificate subject or a key description. */
  subject?: string;
  pinnedAt: string;
}

export interface StoredCertificate {
  target: string;
  role: 'client' | 'ca';
  path: string;
  summary: CertificateSummary;
}
