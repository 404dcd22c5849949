import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

/**
 * The desktop app's three bundles (issue #8):
 * - main    main/shell/index.ts → out/main/index.js (ESM, like the package);
 * - preload preload/index.ts    → out/preload/index.cjs. A sandboxed preload cannot
 *   load ES modules, and with "type": "module" a `.js` file would be read as ESM,
 *   so it is built as CommonJS with the `.cjs` extension;
 * - renderer renderer/          → out/renderer (the same build `outpost ui` serves).
 * Output folders are electron-vite's defaults, so `--outDir` moves all three (the build test uses it).
 */
export default defineConfig({
  main: {
    build: {
      lib: { entry: resolve('main/shell/index.ts'), formats: ['es'], fileName: () => 'index.js' },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads get no `require` of node_modules: bundle everything they use.
      externalizeDeps: false,
      lib: { entry: resolve('preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: {
      rolldownOptions: { input: resolve('renderer/index.html') },
    },
  },
});
