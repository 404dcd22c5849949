import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

/**
 * `npm run test:properties [-- files…]`: the property tests (the files that import
 * fast-check) with PROPERTY_RUNS_FACTOR times their runs, one file at a time.
 * Tests that set their own time limit keep it: give those a smaller factor.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const propertyFiles = (readdirSync(join(root, 'tests'), { recursive: true }) as string[])
  .filter((file) => file.endsWith('.test.ts') && !file.startsWith('e2e'))
  .map((file) => join(root, 'tests', file))
  .filter((path) => readFileSync(path, 'utf8').includes("from 'fast-check'"))
  .map((path) => relative(root, path));

export default defineConfig({
  ...base,
  resolve: {
    alias: [
      {
        find: /^fast-check$/,
        replacement: fileURLToPath(new URL('fast-check.ts', import.meta.url)),
      },
    ],
  },
  test: {
    ...base.test,
    root,
    include: propertyFiles,
    testTimeout: 0,
    maxWorkers: 1,
  },
});
