/**
 * Warnings every UI shows beside a result, typed so that a UI decides by code
 * (how loud, which icon) and never by matching the text.
 */
export const WARNING_CODES = [
  /** TLS without verifying the server certificate (`--insecure`): anyone on the path can impersonate it. */
  'insecure-tls',
  /** Plain TCP: contents travel unencrypted and unauthenticated. */
  'plain-tcp',
  /** A password (or its digest) sent without TLS. */
  'plain-password',
  /** Proxy credentials sent as HTTP Basic, in clear. */
  'proxy-basic-credentials',
  /** A certificate of ours expires soon. */
  'certificate-expiring',
  /** Something could not be checked or reached; the message says what. */
  'unavailable',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface AgentWarning {
  code: WarningCode;
  message: string;
}

/** Warnings that mean the peer is not authenticated: shown even when the rest is quiet. */
export function isSecurityWarning(warning: AgentWarning): boolean {
  return warning.code === 'insecure-tls';
}
