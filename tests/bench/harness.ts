/**
 * `npm run bench`: every `tests/bench/*.bench.ts` reports rows that compare our
 * number with a baseline measured side by side in the same run, on the same
 * machine. Nothing here passes or fails a build: the table is for people.
 */
export interface BenchRow {
  /** What is measured, e.g. 'tentacle SEND 200 MiB plain'. */
  metric: string;
  ours: number;
  unit: string;
  /** The side-by-side reference (raw socket copy, node-forge, raw amqplib…). */
  baseline?: number;
  baselineLabel?: string;
  /** Direction of "better": ratio = ours/baseline when higher is better, baseline/ours otherwise. */
  higherIsBetter?: boolean;
  /** The issue's target as text, e.g. '>= 0.80 of raw' or '>= 50000/s'. */
  target?: string;
  /** Whether the target was met, when the bench can tell. */
  met?: boolean;
}

export interface BenchContext {
  row(row: BenchRow): void;
  log(message: string): void;
  tmpDir: string;
}

export type Bench = (ctx: BenchContext) => Promise<void>;

/** Runs fn n times and returns the median wall time in milliseconds. */
export async function medianMs(n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

export function ratio(row: BenchRow): number | undefined {
  if (row.baseline === undefined || row.baseline === 0 || row.ours === 0) return undefined;
  return row.higherIsBetter === false ? row.baseline / row.ours : row.ours / row.baseline;
}
