// Loaded with `node --import` ahead of `outpost run` (tests/bench/cli.bench.ts):
// on SIGUSR2, writes process.memoryUsage() as JSON to $OUTPOST_MEMORY_PROBE, so
// the bench can say where the idle RSS goes (V8 heap, external, the rest).
// Plain JavaScript: a .ts file here would load Node's type stripper into the
// process measured (~10 MiB).
import { writeFileSync } from 'node:fs';

process.on('SIGUSR2', () =>
  writeFileSync(process.env.OUTPOST_MEMORY_PROBE, JSON.stringify(process.memoryUsage())),
);
