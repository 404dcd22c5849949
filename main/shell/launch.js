#!/usr/bin/env node
// `npm start` after `electron-vite build`: starts the desktop app where Electron's
// runtime is installed. Where it is missing (the build machines here cannot
// download it, and this never downloads it: no network behind the user's back),
// it says so and starts the agent with the same UI in a browser instead
// (`outpost ui`), so `npm start` always starts the agent. Arguments after
// `npm start --` go to whichever starts (`--no-open`, `--port N` for the UI).
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
  'Starting the agent with the same UI in your browser instead (npx outpost ui).',
  "For the desktop app, install Electron's runtime (npx install-electron, with network access) and run npm start again.",
  '',
].join('\n');

/**
 * The environment Electron starts with: the caller's, without ELECTRON_RUN_AS_NODE
 * (issue #15 item 15). With it set, an unpackaged Electron runs as plain Node
 * and the main bundle's `import 'electron'` finds the npm package instead of
 * the API; a shell or tool (VS Code's terminals, some test runners) may have
 * left it set.
 */
export function electronEnv(env = process.env) {
  const copy = { ...env };
  delete copy.ELECTRON_RUN_AS_NODE;
  return copy;
}

function forward(child) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
}

function main() {
  const args = process.argv.slice(2);
  const binary = electronBinary();
  if (binary === undefined) {
    process.stderr.write(MISSING_RUNTIME_MESSAGE);
    // outpost.js runs the CLI on Node 24 whatever node started this script.
    const cli = join(root, 'main', 'cli', 'outpost.js');
    forward(spawn(process.execPath, [cli, 'ui', ...args], { stdio: 'inherit' }));
    return;
  }
  forward(spawn(binary, [root, ...args], { stdio: 'inherit', env: electronEnv() }));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}
