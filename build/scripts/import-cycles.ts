/**
 * Finds import cycles in main/, preload/ and renderer/src (issue #16: "no import
 * cycle anywhere … type-only imports included"). Every relative `import`,
 * `import type`, `export … from` and `import()` counts: a type-only cycle still
 * means two modules cannot be understood, or moved, one without the other.
 *
 * `node build/scripts/import-cycles.ts` prints each cycle and exits 1 when there
 * is one; `npm run lint` runs it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const SOURCE_ROOTS = ['main', 'preload', join('renderer', 'src')];
const SOURCE_FILE = /\.(ts|tsx)$/;

function listSources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listSources(path);
    return SOURCE_FILE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The file a relative specifier names; the project writes explicit extensions. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    `${base}.ts`,
    `${base}.tsx`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => SOURCE_FILE.test(c) && existsSync(c));
}

/** Relative imports of one file, type-only ones and dynamic `import()` included. */
export function importsOf(path: string, text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => resolveSpecifier(path, s))
    .filter((p): p is string => p !== undefined);
}

/** Strongly connected components with more than one file (or a file importing itself). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];

  // Iterative Tarjan: the graph has hundreds of files and recursion depth is not worth risking.
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const to = edges[frame.next++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && edges.includes(frame.node);
        if (component.length > 1 || selfLoop) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}

export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const sourceRoot of SOURCE_ROOTS) {
    for (const file of listSources(join(root, sourceRoot))) {
      graph.set(file, importsOf(file, readFileSync(file, 'utf8')));
    }
  }
  return graph;
}

if (import.meta.main) {
  const root = resolve(import.meta.dirname, '..', '..');
  const cycles = findCycles(importGraph(root));
  for (const cycle of cycles) {
    console.error(`import cycle of ${cycle.length} files:`);
    for (const file of cycle) console.error(`  ${relative(root, file)}`);
  }
  if (cycles.length > 0) process.exit(1);
  console.log('import cycles: none in main/, preload/, renderer/src');
}
