import { statSync } from 'node:fs';
import { AgentError } from '../contract/errors.ts';
import { CURRENT_SETTINGS_VERSION, SETTINGS_MIGRATIONS, type SettingsMigration } from './schema.ts';
import { settingsSchema, type SettingsData } from '../contract/settings.ts';

/**
 * The part of the `conf` API the core uses. `electron-store` extends `conf`,
 * so the Electron shell passes its store over the same file.
 */
export interface SettingsBackend {
  readonly path: string;
  /** Reading parses the file afresh; assigning writes it whole, atomically. */
  store: Record<string, unknown>;
}

export function migrateSettings(
  raw: Record<string, unknown>,
  migrations: readonly SettingsMigration[] = SETTINGS_MIGRATIONS,
): Record<string, unknown> {
  const target = migrations.length;
  const version = typeof raw.schemaVersion === 'number' ? raw.schemaVersion : 0;
  if (version > target) {
    throw new AgentError(
      'conflict',
      `settings.json was written by a newer Outpost (schema ${version}); this version understands up to ${target}: upgrade Outpost`,
      { field: 'schemaVersion' },
    );
  }
  let data = raw;
  for (let v = version; v < target; v++) {
    const migration = migrations[v];
    if (migration === undefined) break;
    data = { ...migration(data), schemaVersion: v + 1 };
  }
  return data;
}

export class Settings {
  readonly #backend: SettingsBackend;
  /** The last parse, valid while the file is the same inode, size and mtime. */
  #cache: { stamp: string; data: SettingsData } | undefined;

  constructor(backend: SettingsBackend) {
    this.#backend = backend;
    const migrated = migrateSettings({ ...backend.store });
    const parsed = this.#parse(migrated);
    if (JSON.stringify(parsed) !== JSON.stringify(backend.store)) this.#write(parsed);
  }

  get path(): string {
    return this.#backend.path;
  }

  /**
   * The file as it is now: the CLI and the daemon may both write it. Writes
   * are atomic renames, so a new inode, size or mtime means a new file; an
   * unchanged one is served from the last parse, frozen so no caller can
   * alter what the next caller reads (a hot path: the queue reads its caps
   * and targets on every enqueue).
   */
  read(): SettingsData {
    const stamp = fileStamp(this.#backend.path);
    if (stamp !== undefined && this.#cache?.stamp === stamp) return this.#cache.data;
    const data = deepFreeze(this.#parse(migrateSettings({ ...this.#backend.store })));
    this.#cache = stamp === undefined ? undefined : { stamp, data };
    return data;
  }

  /** A section another module owns, raw; that module validates it. */
  section(name: string): unknown {
    return (this.read() as Record<string, unknown>)[name];
  }

  update(mutate: (draft: SettingsData) => void): SettingsData {
    const draft = structuredClone(this.read());
    mutate(draft);
    const parsed = this.#parse(draft as Record<string, unknown>);
    this.#write(parsed);
    return parsed;
  }

  #parse(data: Record<string, unknown>): SettingsData {
    const result = settingsSchema.safeParse({ schemaVersion: CURRENT_SETTINGS_VERSION, ...data });
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue?.path.join('.') ?? '';
      throw new AgentError(
        'invalid-request',
        `settings.json (${this.#backend.path}) is invalid at '${field}': ${issue?.message ?? 'unknown'}`,
        { field },
      );
    }
    return result.data;
  }

  #write(data: SettingsData): void {
    this.#cache = undefined;
    this.#backend.store = data as Record<string, unknown>;
  }
}

function fileStamp(path: string): string | undefined {
  try {
    const info = statSync(path, { bigint: true });
    return `${info.ino}:${info.size}:${info.mtimeNs}`;
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
