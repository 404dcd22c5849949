import { type ImportReport } from '../../contract/import-report.ts';

export function emptyReport(source: string, dryRun: boolean): ImportReport {
  return { source, dryRun, secrets: [], certificates: [], checks: [], unmapped: [], notes: [] };
}
