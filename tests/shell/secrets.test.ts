import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSecretStore } from '../../main/core/secrets.ts';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../main/shell/secrets.ts';
import { makeTempDir } from '../peers/util.ts';

/** A stand-in for Electron's safeStorage: a real (if trivial) reversible transform, so plaintext must not hit the disk. */
function fakeSafeStorage(available: boolean, backend?: string): SafeStorageLike {
  const xor = (b: Buffer): Buffer => Buffer.from(b.map((x) => x ^ 0x5a));
  return {
    isEncryptionAvailable: () => available,
    encryptString: (s) => xor(Buffer.from(s, 'utf8')),
    decryptString: (b) => xor(b).toString('utf8'),
    ...(backend === undefined ? {} : { getSelectedStorageBackend: () => backend }),
  };
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
    const store = new SafeStorageSecretStore(join(dir, 'secrets.safe.json'), fakeSafeStorage(true));
    await store.set('target/ic/ticket', 'a3f9c0ffee0123456789abcdef0123456789abcd');
    expect(store.encrypted).toBe(true);
    const onDisk = await readFile(join(dir, 'secrets.safe.json'), 'utf8');
    expect(onDisk).not.toContain('a3f9c0ffee');
    expect((await stat(join(dir, 'secrets.safe.json'))).mode & 0o777).toBe(0o600);
    expect(await store.get('target/ic/ticket')).toBe('a3f9c0ffee0123456789abcdef0123456789abcd');
    expect(await store.list()).toEqual(['target/ic/ticket']);
    await store.delete('target/ic/ticket');
    expect(await store.get('target/ic/ticket')).toBeUndefined();
  });

  it("says 'not encrypted' when no keychain is reachable, and when Linux falls back to basic_text", async () => {
    const dir = await tempDir();
    const none = new SafeStorageSecretStore(join(dir, 'a.json'), fakeSafeStorage(false));
    expect(none.encrypted).toBe(false);
    await none.set('x', 'plain');
    expect(await none.get('x')).toBe('plain');
    const basic = new SafeStorageSecretStore(
      join(dir, 'b.json'),
      fakeSafeStorage(true, 'basic_text'),
    );
    expect(basic.encrypted).toBe(false);
    expect(basic.backend).toBe('safeStorage (basic_text)');
    const libsecret = new SafeStorageSecretStore(
      join(dir, 'c.json'),
      fakeSafeStorage(true, 'gnome_libsecret'),
    );
    expect(libsecret.encrypted).toBe(true);
  });

  it('reads secrets the CLI stored in the plain file, and moves them into the encrypted store on write', async () => {
    const dir = await tempDir();
    const legacy = new FileSecretStore(join(dir, 'secrets.json'));
    await legacy.set('target/t1/password', 'hunter2');
    const store = new SafeStorageSecretStore(
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
});
