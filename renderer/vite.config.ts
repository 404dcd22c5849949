import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The renderer alone (`npm run build:renderer`), for `outpost ui` where the
 * Electron runtime is missing: same sources and output folder as the renderer
 * part of electron.vite.config.ts. (No node:path here: the renderer folder's
 * lint forbids Node built-ins, and Vite resolves outDir against root anyway.)
 */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'chrome120',
  },
});
