import { type ImportReport } from '../../contract/checks.ts';

export function emptyReport(source: string, dryRun: boolean): ImportReport {
  return { source, dryRun, secrets: [], certificates: [], checks: [], unmapped: [], notes: [] };
}
