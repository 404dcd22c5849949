/** What an import did, and everything it could not carry over (with line numbers). */
export interface ImportIssue {
  file: string;
  /** 1-based line number, when the problem is one line. */
  line?: number;
  text?: string;
  reason: string;
}

export interface ImportReport {
  source: string;
  dryRun: boolean;
  target?: { name: string; kind: string; config: unknown; created: boolean };
  /** Names of secrets stored in the SecretStore (never their values). */
  secrets: string[];
  /** Certificates stored for the target. */
  certificates: string[];
  checks: Array<{ name: string; created: boolean; reason?: string }>;
  /** Lines or settings Outpost could not map. */
  unmapped: ImportIssue[];
  /** Settings understood but not needed by Outpost, and how Outpost differs. */
  notes: string[];
}

export function emptyReport(source: string, dryRun: boolean): ImportReport {
  return { source, dryRun, secrets: [], certificates: [], checks: [], unmapped: [], notes: [] };
}
