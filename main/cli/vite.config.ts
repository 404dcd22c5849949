import { resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * The `outpost` command, built (issue #17; main/cli/README.md):
 * `vite build --config main/cli/vite.config.ts` (part of `npm run build`)
 * bundles main/cli/outpost.js into out/cli/outpost.js, the file package.json
 * `bin` runs, and chunks imported when first needed: the CLI, the agent's
 * core, one per command group and one per agent module. Pure-JavaScript
 * dependencies are bundled (one file read instead of hundreds of module
 * resolutions at every start); zeromq stays external, as its native addon is
 * loaded from node_modules.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const MANIFEST = resolve(ROOT, 'main', 'cli', 'commands', 'manifest.ts');

/** Native addons cannot be bundled; they are loaded from node_modules at run time. */
export const CLI_EXTERNAL = ['zeromq'];

/**
 * Replaces commands/manifest.ts (which loads every command group to describe
 * them) by the descriptions themselves, read here at build time: `--help` and
 * argument parsing then load no command's code.
 */
export function commandManifest(): Plugin {
  return {
    name: 'outpost-command-manifest',
    async load(id) {
      if (resolve(id.split('?')[0]!) !== MANIFEST) return null;
      const { COMMAND_MANIFEST } = (await import(pathToFileURL(MANIFEST).href)) as {
        COMMAND_MANIFEST: unknown;
      };
      return `export const COMMAND_MANIFEST = JSON.parse(${JSON.stringify(JSON.stringify(COMMAND_MANIFEST))});\n`;
    },
  };
}

/**
 * Our modules' `import … from 'node:…'` become `process.getBuiltinModule(…)`.
 * An ES import of a built-in module makes Node build its module namespace,
 * reading every export, lazy ones included: for node:http that loads undici
 * (+28 ms and +13 MiB for `outpost run` with an OnSphere target, measured).
 * Not in the entry (outpost.js, compile-cache.js), which must start on any
 * Node to say it needs Node 24.
 */
export function builtinsWithoutNamespace(): Plugin {
  const entry = [
    resolve(ROOT, 'main', 'cli', 'outpost.js'),
    resolve(ROOT, 'main', 'cli', 'compile-cache.js'),
  ];
  return {
    name: 'outpost-builtins-without-namespace',
    enforce: 'post',
    transform(code, id) {
      if (!id.startsWith(resolve(ROOT, 'main') + sep) || entry.includes(id)) return null;
      if (!code.includes("'node:") && !code.includes('"node:')) return null;
      const program = this.parse(code) as unknown as { body: ImportNode[] };
      let out = code;
      for (const node of [...program.body].reverse()) {
        if (node.type !== 'ImportDeclaration' || !node.source.value.startsWith('node:')) continue;
        const module = `process.getBuiltinModule(${JSON.stringify(node.source.value)})`;
        const named = node.specifiers
          .filter((s) => s.type === 'ImportSpecifier')
          .map((s) => {
            const imported =
              s.imported!.type === 'Identifier' ? s.imported!.name : s.imported!.value;
            return imported === s.local.name ? imported : `${imported}: ${s.local.name}`;
          });
        const whole = node.specifiers.find((s) => s.type !== 'ImportSpecifier');
        const statements = [
          ...(whole === undefined ? [] : [`const ${whole.local.name} = ${module};`]),
          ...(named.length === 0 ? [] : [`const { ${named.join(', ')} } = ${module};`]),
        ];
        out = `${out.slice(0, node.start)}${statements.join(' ') || `${module};`}${out.slice(node.end)}`;
      }
      return { code: out, map: null };
    },
  };
}

interface ImportNode {
  type: string;
  start: number;
  end: number;
  source: { value: string };
  specifiers: Array<{
    type: 'ImportSpecifier' | 'ImportDefaultSpecifier' | 'ImportNamespaceSpecifier';
    local: { name: string };
    imported?: { type: 'Identifier'; name: string } | { type: 'Literal'; value: string };
  }>;
}

/**
 * `import process from 'node:process'` (conf's helpers do it) makes Node copy
 * every property of `process` into the module namespace, which creates
 * process.stdin (a stream and its listeners: ~8 ms and a few MiB at every
 * start, measured with --cpu-prof). The global is the same object.
 */
export function globalProcess(): Plugin {
  const id = '\0outpost:process';
  return {
    name: 'outpost-global-process',
    enforce: 'pre',
    resolveId: (source) => (source === 'node:process' || source === 'process' ? id : null),
    load: (source) => (source === id ? 'export default globalThis.process;\n' : null),
  };
}

/**
 * The CLI itself, in one chunk: what it needs before it knows the command
 * (`--version` loads this and no agent), and what every command group shares.
 */
const CLI_BASE =
  /\/main\/cli\/[^/]+\.ts$|\/main\/core\/(contract\/errors|own|paths|version|runtime-tuning)\.ts$/;
const PACKAGE_JSON = resolve(ROOT, 'package.json');

function isCliBase(id: string): boolean {
  return id === PACKAGE_JSON || CLI_BASE.test(id.split(sep).join('/'));
}

const AGENT = resolve(ROOT, 'main', 'core', 'agent.ts');

/**
 * The agent's core in one chunk (issue #17, measured with --cpu-prof): left to
 * itself the bundler makes a chunk per set of importers, and resolving and
 * linking ~30 small files cost `tentacle send` ~25 ms. The core is what
 * agent.ts imports statically (the protocols' and checks' code is imported
 * lazily): every command that opens the agent loads it anyway.
 */
export function agentCoreChunk(): { plugin: Plugin; test(id: string): boolean } {
  const core = new Set<string>();
  return {
    plugin: {
      name: 'outpost-agent-core',
      buildEnd() {
        const walk = (id: string): void => {
          if (core.has(id)) return;
          core.add(id);
          for (const next of this.getModuleInfo(id)?.importedIds ?? []) walk(next);
        };
        walk(AGENT);
      },
    },
    test: (id) => core.has(id) && !isCliBase(id),
  };
}

const agentCore = agentCoreChunk();

export default defineConfig({
  root: ROOT,
  // Nothing to copy: public/ belongs to the renderer's build.
  publicDir: false,
  logLevel: 'warn',
  plugins: [commandManifest(), globalProcess(), builtinsWithoutNamespace(), agentCore.plugin],
  ssr: { noExternal: true, external: CLI_EXTERNAL, target: 'node' },
  build: {
    ssr: resolve(ROOT, 'main', 'cli', 'outpost.js'),
    outDir: resolve(ROOT, 'out', 'cli'),
    emptyOutDir: true,
    target: 'node24',
    minify: false,
    sourcemap: false,
    // The bundle is a program, not a page: no size warnings, no copied public files.
    chunkSizeWarningLimit: 100_000,
    rolldownOptions: {
      output: {
        format: 'es',
        entryFileNames: 'outpost.js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        codeSplitting: {
          groups: [
            { name: 'cli', test: isCliBase, priority: 20 },
            { name: 'agent', test: agentCore.test, priority: 10 },
          ],
        },
      },
    },
  },
});
