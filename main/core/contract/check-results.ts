/**
 * Performance data as the monitoring-plugins guidelines define it:
 * `'label'=value[UOM];[warn];[crit];[min];[max]`, items separated by spaces.
 * A label with spaces, `=` or `'` is quoted, a quote inside it doubled (`''`).
 */
export const PERFDATA_UOMS = ['s', 'ms', 'us', '%', 'B', 'KB', 'MB', 'GB', 'TB', 'c'] as const;

export type PerfdataUom = (typeof PERFDATA_UOMS)[number] | '';

export interface PerfdataItem {
  label: string;
  /** undefined for `U` (the plugin could not determine the value). */
  value: number | undefined;
  uom: PerfdataUom;
  /** Threshold ranges as written (`10`, `~:5`, `@1:2`); validated. */
  warn?: string;
  crit?: string;
  min?: number;
  max?: number;
}

export interface PerfdataError {
  /** The offending text as the plugin printed it. */
  text: string;
  reason: string;
}

/** Monitoring-plugins return codes (Plugin Development Guidelines, "Plugin Return Codes"). */
export const STATE_NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

export type CheckState = 0 | 1 | 2 | 3;

export type StateName = (typeof STATE_NAMES)[number];

/** One run of one check, parsed. Times are Unix seconds (fractional). */
export interface CheckResult {
  check: string;
  state: CheckState;
  stateName: StateName;
  /** The program's exit code; undefined for built-ins, timeouts and signals. */
  exitCode: number | undefined;
  /** First line, without perfdata. */
  output: string;
  /** Later lines, without perfdata. */
  longOutput: string;
  perfdata: PerfdataItem[];
  /** Perfdata items that did not parse: dropped, shown to the user. */
  perfdataErrors: PerfdataError[];
  scheduleStart: number;
  executionStart: number;
  executionEnd: number;
  /** Why the state is UNKNOWN when the plugin did not say so itself (timeout, exit 7, spawn error). */
  reason?: string;
  /** The captured output hit the cap and was cut. */
  truncated: boolean;
}
