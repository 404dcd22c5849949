import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../core/fsutil.ts';
import type { SecretStore } from '../core/secrets.ts';

/** The part of Electron's `safeStorage` this store uses (a fake in unit tests). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: 'basic_text' means a hard-coded key, i.e. not really encrypted. */
  getSelectedStorageBackend?(): string;
}

interface StoredSecret {
  encrypted: boolean;
  /** base64 of the safeStorage ciphertext, or the value itself when not encrypted. */
  value: string;
}

/**
 * The tray app's SecretStore (issue #8): values encrypted with the OS
 * keychain through `safeStorage`, kept in a 0600 JSON file. Where no keychain
 * is reachable the values are stored as they are and `encrypted` is false, so
 * the UI says "not encrypted on this system" instead of pretending.
 *
 * Secrets first stored by the CLI (`FileSecretStore`, which cannot reach the
 * keychain) are still read through `fallback`, and re-encrypted here on write.
 */
export class SafeStorageSecretStore implements SecretStore {
  readonly backend: string;
  readonly encrypted: boolean;
  readonly #path: string;
  readonly #safe: SafeStorageLike;
  readonly #fallback: SecretStore | undefined;

  constructor(path: string, safe: SafeStorageLike, fallback?: SecretStore) {
    this.#path = path;
    this.#safe = safe;
    this.#fallback = fallback;
    const linuxBackend = safe.getSelectedStorageBackend?.();
    this.encrypted = safe.isEncryptionAvailable() && linuxBackend !== 'basic_text';
    this.backend =
      linuxBackend === undefined || linuxBackend === 'unknown'
        ? 'safeStorage'
        : `safeStorage (${linuxBackend})`;
  }

  async get(name: string): Promise<string | undefined> {
    const stored = (await this.#read())[name];
    if (stored === undefined) return this.#fallback?.get(name);
    return stored.encrypted
      ? this.#safe.decryptString(Buffer.from(stored.value, 'base64'))
      : stored.value;
  }

  async set(name: string, value: string): Promise<void> {
    const all = await this.#read();
    all[name] = this.encrypted
      ? { encrypted: true, value: this.#safe.encryptString(value).toString('base64') }
      : { encrypted: false, value };
    await this.#write(all);
    await this.#fallback?.delete(name);
  }

  async delete(name: string): Promise<void> {
    const all = await this.#read();
    if (name in all) {
      delete all[name];
      await this.#write(all);
    }
    await this.#fallback?.delete(name);
  }

  async list(): Promise<string[]> {
    const own = Object.keys(await this.#read());
    const legacy = (await this.#fallback?.list()) ?? [];
    return [...new Set([...own, ...legacy])].sort();
  }

  async #read(): Promise<Record<string, StoredSecret>> {
    try {
      return JSON.parse(await readFile(this.#path, 'utf8')) as Record<string, StoredSecret>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  async #write(all: Record<string, StoredSecret>): Promise<void> {
    await writeFileAtomic(this.#path, JSON.stringify(all, null, 2), 0o600);
  }
}
