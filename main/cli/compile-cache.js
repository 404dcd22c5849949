// Where the `outpost` command keeps V8's compiled code between runs
// (module.enableCompileCache, issue #17). Plain JavaScript: outpost.js imports
// it before it knows the Node version it runs on.
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The user's own cache folder, never Node's default (a shared folder under
 * os.tmpdir()): another account that could write there could plant compiled
 * code that our process would run. NODE_COMPILE_CACHE still chooses the folder
 * and NODE_DISABLE_COMPILE_CACHE=1 turns the cache off, as for any Node program.
 *
 * @param {NodeJS.ProcessEnv} env
 * @param {NodeJS.Platform} platform
 * @returns {string}
 */
export function compileCacheDir(env = process.env, platform = process.platform) {
  if (env.NODE_COMPILE_CACHE) return env.NODE_COMPILE_CACHE;
  if (platform === 'win32')
    return join(
      env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'),
      'Outpost',
      'compile-cache',
    );
  if (platform === 'darwin')
    return join(homedir(), 'Library', 'Caches', 'Outpost', 'compile-cache');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'outpost', 'compile-cache');
}
