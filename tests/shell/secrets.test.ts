import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../main/core/contract/errors.ts';
import { FileSecretStore } from '../../main/core/secrets.ts';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../main/shell/secrets.ts';
import { makeTempDir } from '../peers/util.ts';

/**
 * A stand-in for Electron's safeStorage, asynchronous API only (it has no
 * synchronous method to call): a real (if trivial) reversible transform, so
 * plaintext must not hit the disk. `key` is the current key byte; data
 * encrypted with an older one decrypts with `shouldReEncrypt`, as after a
 * key rotation; `broken` makes decryption fail as when a Linux keyring is gone.
 */
interface FakeSafeStorage extends SafeStorageLike {
  key: number;
  broken: boolean;
}
function fakeSafeStorage(available: boolean, backend?: string): FakeSafeStorage {
  const xor = (b: Buffer, key: number): Buffer => Buffer.from(b.map((x) => x ^ key));
  const fake: FakeSafeStorage = {
    key: 0x5a,
    broken: false,
    isAsyncEncryptionAvailable: async () => available,
    encryptStringAsync: async (s) =>
      Buffer.concat([Buffer.from([fake.key]), xor(Buffer.from(s, 'utf8'), fake.key)]),
    decryptStringAsync: async (b) => {
      if (fake.broken)
        throw new Error(
          'Error while decrypting the ciphertext provided to safeStorage.decryptString.',
        );
      return {
        result: xor(b.subarray(1), b[0]!).toString('utf8'),
        shouldReEncrypt: b[0] !== fake.key,
      };
    },
    ...(backend === undefined ? {} : { getSelectedStorageBackend: () => backend }),
  };
  return fake;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function tempDir(): Promise<string> {
  const t = await makeTempDir('safe');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('SafeStorageSecretStore', () => {
  it('stores values encrypted, in a 0600 file, and reads them back', async () => {
    const dir = await tempDir();
    const store = await SafeStorageSecretStore.open(
      join(dir, 'secrets.safe.json'),
      fakeSafeStorage(true),
    );
    await store.set('target/ic/ticket', 'a3f9c0ffee0123456789abcdef0123456789abcd');
    expect(store.encrypted).toBe(true);
    const onDisk = await readFile(join(dir, 'secrets.safe.json'), 'utf8');
    expect(onDisk).not.toContain('a3f9c0ffee');
    // Windows has no POSIX modes (the file sits in the user's profile).
    if (process.platform !== 'win32')
      expect((await stat(join(dir, 'secrets.safe.json'))).mode & 0o777).toBe(0o600);
    expect(await store.get('target/ic/ticket')).toBe('a3f9c0ffee0123456789abcdef0123456789abcd');
    expect(await store.list()).toEqual(['target/ic/ticket']);
    await store.delete('target/ic/ticket');
    expect(await store.get('target/ic/ticket')).toBeUndefined();
  });

  it("says 'not encrypted' when no keychain is reachable, and when Linux falls back to basic_text", async () => {
    const dir = await tempDir();
    const none = await SafeStorageSecretStore.open(join(dir, 'a.json'), fakeSafeStorage(false));
    expect(none.encrypted).toBe(false);
    await none.set('x', 'plain');
    expect(await none.get('x')).toBe('plain');
    const basic = await SafeStorageSecretStore.open(
      join(dir, 'b.json'),
      fakeSafeStorage(true, 'basic_text'),
    );
    expect(basic.encrypted).toBe(false);
    expect(basic.backend).toBe('safeStorage (basic_text)');
    const libsecret = await SafeStorageSecretStore.open(
      join(dir, 'c.json'),
      fakeSafeStorage(true, 'gnome_libsecret'),
    );
    expect(libsecret.encrypted).toBe(true);
  });

  it('reads secrets the CLI stored in the plain file, and moves them into the encrypted store on write', async () => {
    const dir = await tempDir();
    const legacy = new FileSecretStore(join(dir, 'secrets.json'));
    await legacy.set('target/t1/password', 'hunter2');
    const store = await SafeStorageSecretStore.open(
      join(dir, 'secrets.safe.json'),
      fakeSafeStorage(true),
      legacy,
    );
    expect(await store.get('target/t1/password')).toBe('hunter2');
    expect(await store.list()).toEqual(['target/t1/password']);
    await store.set('target/t1/password', 'hunter3');
    expect(await legacy.get('target/t1/password')).toBeUndefined();
    expect(await store.get('target/t1/password')).toBe('hunter3');
  });

  it('reports a secret the keychain cannot decrypt as unreadable, naming it, and keeps serving the others', async () => {
    const dir = await tempDir();
    const safe = fakeSafeStorage(true, 'gnome_libsecret');
    const store = await SafeStorageSecretStore.open(join(dir, 'secrets.safe.json'), safe);
    await store.set('target/ic/ticket', 'a3f9c0ffee');
    safe.broken = true;
    const error = await store.get('target/ic/ticket').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ code: 'io', transient: true });
    expect((error as Error).message).toMatch(/secret 'target\/ic\/ticket' is unreadable/);
    expect((error as Error).message).not.toContain('a3f9c0ffee');
    expect(await store.list()).toEqual(['target/ic/ticket']);
    safe.broken = false;
    expect(await store.get('target/ic/ticket')).toBe('a3f9c0ffee');
  });

  it('writes a value back with the current key when the keychain says shouldReEncrypt', async () => {
    const dir = await tempDir();
    const file = join(dir, 'secrets.safe.json');
    const safe = fakeSafeStorage(true);
    const store = await SafeStorageSecretStore.open(file, safe);
    await store.set('target/t/password', 'hunter2');
    const before = await readFile(file, 'utf8');
    safe.key = 0x33;
    expect(await store.get('target/t/password')).toBe('hunter2');
    const after = await readFile(file, 'utf8');
    expect(after).not.toBe(before);
    const stored = (JSON.parse(after) as Record<string, { value: string }>)['target/t/password']!;
    expect(Buffer.from(stored.value, 'base64')[0]).toBe(0x33);
    expect(await store.get('target/t/password')).toBe('hunter2');
  });

  it('keeps concurrent writes of different secrets (one read-modify-write at a time)', async () => {
    const dir = await tempDir();
    const store = await SafeStorageSecretStore.open(join(dir, 's.json'), fakeSafeStorage(true));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`s${i}`, `v${i}`)));
    expect((await store.list()).length).toBe(20);
  });

  it('a keychain that fails to initialise means not encrypted, not a crash', async () => {
    const dir = await tempDir();
    const safe = fakeSafeStorage(true);
    safe.isAsyncEncryptionAvailable = async () => {
      throw new Error('no keychain');
    };
    const store = await SafeStorageSecretStore.open(join(dir, 's.json'), safe);
    expect(store.encrypted).toBe(false);
  });
});
