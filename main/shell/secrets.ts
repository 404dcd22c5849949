import { readFile } from 'node:fs/promises';
import { AgentError } from '../core/contract/errors.ts';
import { writeFileAtomic } from '../core/fsutil.ts';
import type { SecretStore } from '../core/secrets.ts';

/**
 * The part of Electron's `safeStorage` this store uses (a fake in unit tests):
 * the asynchronous API only (issue #15 item 12). The synchronous calls are
 * deprecated in Electron 45 and "can block the current thread to collect user
 * input" on macOS and Linux (docs/api/safe-storage.md), and the whole core
 * runs on that thread. Data written by the old `encryptString` decrypts with
 * `decryptStringAsync` (electron.d.ts `SafeStorage.decryptString`).
 */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
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
 * A value the keychain can no longer decrypt (a Linux keyring gone or locked,
 * a key rotated away) is reported as unreadable, naming the secret and what
 * to do, never thrown as a crash; a value the keychain asks to re-encrypt
 * (`shouldReEncrypt`) is written back with the current key.
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
  /** Read-modify-write of the file, one at a time within this process. */
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(
    path: string,
    safe: SafeStorageLike,
    fallback: SecretStore | undefined,
    available: boolean,
  ) {
    this.#path = path;
    this.#safe = safe;
    this.#fallback = fallback;
    const linuxBackend = safe.getSelectedStorageBackend?.();
    this.encrypted = available && linuxBackend !== 'basic_text';
    this.backend =
      linuxBackend === undefined || linuxBackend === 'unknown'
        ? 'safeStorage'
        : `safeStorage (${linuxBackend})`;
  }

  /** After `app.whenReady()`: the asynchronous encryptor initialises on first use. */
  static async open(
    path: string,
    safe: SafeStorageLike,
    fallback?: SecretStore,
  ): Promise<SafeStorageSecretStore> {
    let available: boolean;
    try {
      available = await safe.isAsyncEncryptionAvailable();
    } catch {
      available = false;
    }
    return new SafeStorageSecretStore(path, safe, fallback, available);
  }

  async get(name: string): Promise<string | undefined> {
    const stored = ownEntry(await this.#read(), name);
    if (stored === undefined) return this.#fallback?.get(name);
    if (!stored.encrypted) return stored.value;
    let decrypted: { result: string; shouldReEncrypt: boolean };
    try {
      decrypted = await this.#safe.decryptStringAsync(Buffer.from(stored.value, 'base64'));
    } catch (error) {
      throw new AgentError(
        'io',
        `the secret '${name}' is unreadable: the OS keychain could not decrypt it (${(error as Error).message}). Unlock the keychain, or enter the secret again`,
        { transient: true, cause: error },
      );
    }
    if (decrypted.shouldReEncrypt && this.encrypted) {
      // A rotated key: keep the value readable even if writing it back fails now.
      await this.#store(name, decrypted.result).catch(() => undefined);
    }
    return decrypted.result;
  }

  async set(name: string, value: string): Promise<void> {
    await this.#store(name, value);
    await this.#fallback?.delete(name);
  }

  async delete(name: string): Promise<void> {
    await this.#serially(async () => {
      const all = await this.#read();
      if (Object.hasOwn(all, name)) {
        delete all[name];
        await this.#write(all);
      }
    });
    await this.#fallback?.delete(name);
  }

  async list(): Promise<string[]> {
    const own = Object.keys(await this.#read());
    const legacy = (await this.#fallback?.list()) ?? [];
    return [...new Set([...own, ...legacy])].sort();
  }

  async #store(name: string, value: string): Promise<void> {
    let entry: StoredSecret = { encrypted: false, value };
    if (this.encrypted) {
      try {
        entry = {
          encrypted: true,
          value: (await this.#safe.encryptStringAsync(value)).toString('base64'),
        };
      } catch (error) {
        throw new AgentError(
          'io',
          `the secret '${name}' was not saved: the OS keychain could not encrypt it (${(error as Error).message})`,
          { transient: true, cause: error },
        );
      }
    }
    await this.#serially(async () => {
      const all = await this.#read();
      all[name] = entry;
      await this.#write(all);
    });
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#writes.then(work, work);
    this.#writes = next.catch(() => undefined);
    return next;
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

function ownEntry(all: Record<string, StoredSecret>, name: string): StoredSecret | undefined {
  return Object.hasOwn(all, name) ? all[name] : undefined;
}
