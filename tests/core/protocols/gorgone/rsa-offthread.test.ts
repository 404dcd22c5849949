import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rsaDecryptor } from '../../../../main/core/protocols/gorgone/codec.ts';
import {
  asyncRsaDecryptor,
  decryptKeyAnswerAsync,
} from '../../../../main/core/protocols/gorgone/rsa-offthread.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const encrypt = (text: string): Buffer =>
  publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(text));

describe('RSA PKCS#1 v1.5 off the event loop (issue #15 item 14)', () => {
  it('the node-forge fallback decrypts on a worker thread: the event loop keeps turning meanwhile', async () => {
    const decryptor = asyncRsaDecryptor(pem, 'forge');
    expect(decryptor.engine).toBe('forge');
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const plain = await decryptor.decrypt(encrypt('HELO'));
    spinning = false;
    expect(plain?.toString()).toBe('HELO');
    // The synchronous forge decryption (codec.ts) would hold the loop for the whole ~100 ms: at most one turn.
    expect(turns).toBeGreaterThan(2);
  });

  it('answers like the synchronous engines, one answer per request, also concurrently', async () => {
    const forge = asyncRsaDecryptor(pem, 'forge');
    const node = asyncRsaDecryptor(pem, 'node');
    const texts = ['HELO', '[KEY] {"a":1}', 'x'.repeat(200)];
    const answers = await Promise.all(texts.map((t) => forge.decrypt(encrypt(t))));
    expect(answers.map((a) => a?.toString())).toEqual(texts);
    for (const t of texts) expect((await node.decrypt(encrypt(t)))?.toString()).toBe(t);
    const sync = rsaDecryptor(pem, 'forge');
    const ciphertext = encrypt('HELO');
    expect((await forge.decrypt(ciphertext))?.equals(sync.decrypt(ciphertext)!)).toBe(true);
  });

  it('refuses what does not decrypt: wrong size, bad padding', async () => {
    const forge = asyncRsaDecryptor(pem, 'forge');
    expect(await forge.decrypt(Buffer.alloc(255))).toBeUndefined();
    expect(await forge.decrypt(Buffer.alloc(256, 7))).toBeUndefined();
    // Still serving after a refusal.
    expect((await forge.decrypt(encrypt('HELO')))?.toString()).toBe('HELO');
  });

  it('reads a [KEY] answer with either engine', async () => {
    const message = `[KEY] ${JSON.stringify({ hostname: 'central', cipher: 'AES', padding: 1, key: 'ab'.repeat(32), iv: 'cd'.repeat(16) })}`;
    for (const engine of ['forge', 'node'] as const) {
      const keys = await decryptKeyAnswerAsync(
        encrypt(message).toString('base64'),
        asyncRsaDecryptor(pem, engine),
      );
      expect(keys?.hostname).toBe('central');
      expect(keys?.key.toString('hex')).toBe('ab'.repeat(32));
    }
    expect(await decryptKeyAnswerAsync('not base64!', asyncRsaDecryptor(pem, 'node'))).toBe(
      undefined,
    );
  });
});
