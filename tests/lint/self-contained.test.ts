import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Code files git tracks: what a clone holds. */
function trackedCode(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter(
      (f) =>
        /\.(c|m)?(t|j)sx?$/.test(f) &&
        !f.startsWith('tests/fixtures/lint/') &&
        f !== 'tests/lint/self-contained.test.ts',
    );
}

/**
 * A path that climbs out of the repository into a sibling `shared` folder, written as a
 * string (`'../shared/…'`) or as path segments (`'..', 'shared'`).
 */
const OUTSIDE_READ = /['"`](?:\.\.\/)+shared\b|['"`]\.\.['"`]\s*,\s*['"`]shared['"`]/;

describe('the repository is self-contained', () => {
  it('finds a path into ../shared when one is written', () => {
    expect(OUTSIDE_READ.test("join(dir, '..', 'shared', 'x')")).toBe(true);
    expect(OUTSIDE_READ.test("readFileSync('../../shared/protocols/vectors/a.txt')")).toBe(true);
    expect(OUTSIDE_READ.test("join(dir, 'fixtures', 'vectors')")).toBe(false);
  });

  it('no code file reads a folder beside the clone', () => {
    const offenders = trackedCode().filter((f) =>
      OUTSIDE_READ.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
