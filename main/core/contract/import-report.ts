/** The report every `outpost import …` returns (icinga, pandora) and remote configuration reuses. */
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
  /** The Pandora agent definition the checks belong to (import pandora). */
  pandoraAgent?: { name: string; agentName: string; remoteConfig: boolean; created: boolean };
  /** Lines or settings Outpost could not map. */
  unmapped: ImportIssue[];
  /** Settings understood but not needed by Outpost, and how Outpost differs. */
  notes: string[];
}
