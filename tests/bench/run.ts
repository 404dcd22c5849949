import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ratio, type Bench, type BenchRow } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(3)).toString();
}

const files = (await readdir(here))
  .filter((f) => f.endsWith('.bench.ts') && (filter === undefined || f.includes(filter)))
  .sort();
const rows: Array<BenchRow & { bench: string }> = [];
for (const file of files) {
  const bench = file.replace(/\.bench\.ts$/, '');
  const tmpDir = await mkdtemp(join(tmpdir(), `outpost-bench-${bench}-`));
  process.stderr.write(`\n== ${bench}\n`);
  try {
    const module = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench };
    await module.default({
      tmpDir,
      log: (message) => process.stderr.write(`   ${message}\n`),
      row: (row) => {
        rows.push({ ...row, bench });
        process.stderr.write(
          `   ${row.metric}: ${fmt(row.ours)} ${row.unit}${row.baseline === undefined ? '' : ` vs ${fmt(row.baseline)} (${row.baselineLabel ?? 'baseline'})`}\n`,
        );
      },
    });
  } catch (error) {
    process.stderr.write(`   FAILED: ${(error as Error).stack ?? String(error)}\n`);
    rows.push({
      bench,
      metric: 'bench failed to run',
      ours: 0,
      unit: '',
      target: (error as Error).message.slice(0, 60),
      met: false,
    });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

const header = ['bench', 'metric', 'ours', 'unit', 'baseline', 'vs', 'ratio', 'target', 'met'];
const table = rows.map((r) => [
  r.bench,
  r.metric,
  fmt(r.ours),
  r.unit,
  fmt(r.baseline),
  r.baselineLabel ?? '',
  ratio(r) === undefined ? '' : `${ratio(r)!.toFixed(2)}x`,
  r.target ?? '',
  r.met === undefined ? '' : r.met ? 'yes' : 'NO',
]);
const widths = header.map((h, i) =>
  Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)),
);
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
process.stdout.write(
  `\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n${table.map(line).join('\n')}\n`,
);
