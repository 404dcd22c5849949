import { readFile } from 'node:fs/promises';
import { withFileLock } from './file-lock.ts';
import { writeFileAtomic } from './fsutil.ts';
import { ownValue } from './own.ts';

/**
 * Where passwords, tickets and key passphrases live. The Electron shell backs
 * it with `safeStorage` (OS keychain); the CLI with a 0600 file, and says so.
 */
export interface SecretStore {
  /** `safeStorage`, `file`, …: shown to the user. */
  readonly backend: string;
  /** False when secrets sit on disk unencrypted (no OS keychain reachable). */
  readonly encrypted: boolean;
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
  list(): Promise<string[]>;
}

/** Secret names are namespaced by what they belong to: `target/<name>/password`. */
export function targetSecretName(target: string, what: string): string {
  return `target/${target}/${what}`;
}

/**
 * A 0600 JSON file: the fallback where no OS keychain exists. `encrypted` is
 * false so the UI and `identity show` say the secrets are only file-protected.
 * Every change is a read-modify-write under an OS lock on `<file>.lock`:
 * the CLI, `outpost run` and the tray app write it from separate processes,
 * and two unlocked writers each saved the file without the other's secret.
 */
export class FileSecretStore implements SecretStore {
  readonly backend = 'file';
  readonly encrypted = false;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  async get(name: string): Promise<string | undefined> {
    return ownValue(await this.#read(), name);
  }

  async set(name: string, value: string): Promise<void> {
    await this.#change((all) => {
      all[name] = value;
      return true;
    });
  }

  async delete(name: string): Promise<void> {
    await this.#change((all) => Object.hasOwn(all, name) && delete all[name]);
  }

  async list(): Promise<string[]> {
    return Object.keys(await this.#read());
  }

  /** `edit` returns whether it changed anything (nothing to write otherwise). */
  async #change(edit: (all: Record<string, string>) => boolean): Promise<void> {
    await withFileLock(`${this.#path}.lock`, async () => {
      const all = await this.#read();
      if (edit(all)) await writeFileAtomic(this.#path, JSON.stringify(all, null, 2), 0o600);
    });
  }

  async #read(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(this.#path, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }
}
