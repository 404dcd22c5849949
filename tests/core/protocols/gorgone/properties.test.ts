/** fast-check: every parser of network input in the Gorgone codec survives random bytes (STYLE.md "Tests"). */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64Strict,
  decryptFrame,
  decryptKeyAnswer,
  encryptFrame,
  formatKeyMessage,
  formatRequest,
  parseData,
  parseHelo,
  parseKeyMessage,
  parseMessage,
  parsePubkey,
  rsaDecryptor,
} from '../../../../main/core/protocols/gorgone/codec.ts';
import { historyFilterFrom } from '../../../../main/core/protocols/gorgone/history.ts';
import { readTranscript } from './transcripts.ts';

const keys = { key: randomBytes(32), iv: randomBytes(16), hostname: 'h' };
const decryptor = rsaDecryptor(
  readTranscript('gorgone-session-transcript.txt').clientPrivateKeyPem,
);
const anyText = fc.oneof(
  fc.string(),
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('base64')),
  fc
    .tuple(fc.constantFrom('[PING] ', '[KEY] ', '[PUBKEY] [', '[a] [', '['), fc.string())
    .map(([a, b]) => a + b),
);

describe('gorgone codec properties', () => {
  it('never throws on random frames', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        parseMessage(text);
        parseHelo(text);
        parsePubkey(text);
        parseKeyMessage(text);
        decodeBase64Strict(text);
        decryptFrame(keys, text);
        parseData(text);
        historyFilterFrom(parseData(text));
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws decrypting random [KEY] answers with a real private key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        expect(decryptKeyAnswer(Buffer.from(bytes).toString('base64'), decryptor)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips requests through format, encryption, decryption and parse', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z_-]{1,20}$/),
        fc.stringMatching(/^[^\]\n]{0,40}$/),
        fc.stringMatching(/^\d{0,4}$/),
        fc.jsonValue(),
        (action, token, target, data) => {
          const line = formatRequest(action, token, target, data);
          expect(line.includes('\n')).toBe(false);
          const back = parseMessage(decryptFrame(keys, encryptFrame(keys, line))!)!;
          expect(back.action).toBe(action);
          expect(back.token).toBe(token);
          expect(back.target).toBe(target);
          expect(back.data).toBe(JSON.stringify(data ?? {}));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips [KEY] messages for 16, 24 and 32-byte keys', () => {
    fc.assert(
      fc.property(fc.constantFrom(16, 24, 32), fc.string({ maxLength: 60 }), (size, hostname) => {
        const k = { key: randomBytes(size), iv: randomBytes(16), hostname };
        expect(parseKeyMessage(formatKeyMessage(k))).toEqual(k);
      }),
    );
  });
});
