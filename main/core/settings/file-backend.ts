import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../contract/errors.ts';
import { writeFileAtomicSync } from '../fsutil.ts';
import type { SettingsBackend } from './settings.ts';

/**
 * settings.json in the data directory, read afresh on every access and written
 * whole, atomically, with mode 0600: the file `conf` (under the Electron
 * shell's electron-store) reads and writes, in the same format (JSON indented
 * with tabs). Not `conf` itself: with ajv and its helpers it cost every CLI
 * start ~5 MiB and ~20 ms, for two operations (issue #17).
 */
export function openFileBackend(dataDir: string): SettingsBackend {
  const path = join(dataDir, 'settings.json');
  return {
    path,
    get store(): Record<string, unknown> {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw new AgentError('io', `cannot read ${path}: ${(error as Error).message}`);
      }
      try {
        const data: unknown = JSON.parse(text);
        if (data !== null && typeof data === 'object' && !Array.isArray(data))
          return data as Record<string, unknown>;
      } catch {
        // reported below
      }
      throw new AgentError(
        'invalid-request',
        `${path} is not a JSON object: fix it or move it away (Outpost then starts with defaults)`,
        { field: 'settings' },
      );
    },
    set store(data: Record<string, unknown>) {
      writeFileAtomicSync(path, JSON.stringify(data, undefined, '\t'));
    },
  };
}
