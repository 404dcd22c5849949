import Conf from 'conf';
import type { SettingsBackend } from './settings.ts';

/** settings.json in the data directory, written atomically with mode 0600. */
export function openConfBackend(dataDir: string): SettingsBackend {
  return new Conf<Record<string, unknown>>({
    cwd: dataDir,
    configName: 'settings',
    projectName: 'outpost',
    accessPropertiesByDotNotation: false,
    configFileMode: 0o600,
    clearInvalidConfig: false,
  }) as unknown as SettingsBackend;
}
