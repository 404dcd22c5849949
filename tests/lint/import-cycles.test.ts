import { describe, expect, it } from 'vitest';
import { findCycles, importsOf } from '../../build/scripts/import-cycles.ts';

describe('import cycle finder', () => {
  it('finds a cycle through a type-only import and reports its members', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c']]);
  });

  it('reports a file that imports itself and nothing for a chain', () => {
    expect(findCycles(new Map([['a', ['a']]]))).toEqual([['a']]);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('counts type-only imports, re-exports and dynamic imports as edges', () => {
    const here = import.meta.filename;
    const text = [
      "import type { X } from './import-cycles.test.ts';",
      "export { Y } from './boundaries.test.ts';",
      "const z = await import('./self-contained.test.ts');",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(importsOf(here, text).map((p) => p.split('/').pop())).toEqual([
      'import-cycles.test.ts',
      'boundaries.test.ts',
      'self-contained.test.ts',
    ]);
  });
});
