#!/usr/bin/env node
// `npm start` after `electron-vite build`: starts the desktop app where Electron's
// runtime is installed. Where it is missing (the build machines here cannot
// download it), says so and points to the same UI in a browser.
//
// Exit status when the runtime is missing: 1. `npm start` asked for the desktop
// app and it did not start; a script or CI step must not mistake that for success.
//
// This never require()s the 'electron' package: in plain Node its index.js tries
// to download the runtime when it is missing.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Electron executable, as the 'electron' package would find it, or undefined. */
export function electronBinary(
  electronDir = join(root, 'node_modules', 'electron'),
  env = process.env,
) {
  const pathFile = join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidate = join(env.ELECTRON_OVERRIDE_DIST_PATH, relative ?? 'electron');
    return existsSync(candidate) ? candidate : undefined;
  }
  if (relative === undefined || relative === '') return undefined;
  const candidate = join(electronDir, 'dist', relative);
  return existsSync(candidate) ? candidate : undefined;
}

export const MISSING_RUNTIME_MESSAGE = [
  "Outpost: Electron's runtime is not installed here, so the desktop app cannot start.",
  '',
  'The same UI runs in your browser, with the agent:',
  '    npx outpost ui',
  '',
  "To get the desktop app instead, install Electron's runtime (npm rebuild electron, with network access) and run npm start again.",
  '',
].join('\n');

function main() {
  const binary = electronBinary();
  if (binary === undefined) {
    process.stderr.write(MISSING_RUNTIME_MESSAGE);
    return 1;
  }
  const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
  return undefined;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = main();
  if (code !== undefined) process.exitCode = code;
}
