/**
 * Offline: every frame of the two real gorgoned 22.10 transcripts, decrypted
 * and parsed with our codec and the throwaway vector key (gorgone.md §13).
 */
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, parsePublicKey } from '../../../../main/core/identity/keys.ts';
import {
  assertKeyStrength,
  decryptFrame,
  decryptKeyAnswer,
  encryptFrame,
  parseHelo,
  parseKeyMessage,
  parseMessage,
  parsePubkey,
  rsaDecryptor,
  type SessionKeys,
} from '../../../../main/core/protocols/gorgone/codec.ts';
import { thumbprintVectors } from '../../../vectors.ts';
import { readTranscript } from './transcripts.ts';

const CLIENT_THUMBPRINT = 'yzKWQth2uxEcQpbGt-NbmChrmTgRWyG2-Lg6Sh6AO-4';
const SERVER_THUMBPRINT = 'R_pOd_SmwMR-yHjkiBLY0-jDE7oYp5VLd9N5r9z-lRU';

describe('gorgone thumbprint vectors (§6)', () => {
  for (const vector of thumbprintVectors()) {
    it(`computes the real tool's thumbprint for ${vector.name}`, () => {
      expect(jwkThumbprint(parsePublicKey(vector.pem))).toBe(vector.thumbprint);
    });
  }

  it('refuses the 1024-bit vector key: Gorgone cannot send [KEY] to it (§4 step 3)', () => {
    const small = thumbprintVectors().find((v) => v.name === 'vector 3')!;
    expect(() => assertKeyStrength(parsePublicKey(small.pem), 'client key')).toThrow(
      /at least 2048 bits/,
    );
  });
});

for (const file of [
  'gorgone-session-transcript.txt',
  'gorgone-pull-node-transcript.txt',
] as const) {
  describe(`transcript ${file}`, () => {
    const transcript = readTranscript(file);
    const decryptor = rsaDecryptor(transcript.clientPrivateKeyPem);

    it('holds the vector client key and a mislabelled SPKI server key in [PUBKEY] (§4 step 1)', () => {
      expect(jwkThumbprint(parsePublicKey(transcript.clientPublicKeyPem))).toBe(CLIENT_THUMBPRINT);
      const pubkey = transcript.frames.find((f) => f.label === 'pubkey')!;
      const server = parsePubkey(pubkey.wire)!;
      expect(server.pem.startsWith('-----BEGIN RSA PUBLIC KEY-----\nMIIC')).toBe(true);
      expect(server.thumbprint).toBe(SERVER_THUMBPRINT);
      // The recorder says 4096; the modulus really has 4092 bits (first byte 0x0a), 512 bytes.
      expect(Math.ceil(server.key.asymmetricKeyDetails!.modulusLength! / 8)).toBe(512);
    });

    it('decrypts the recorded [KEY] identically with node:crypto and with node-forge', () => {
      const frame = transcript.frames.find((f) => f.label === 'key')!;
      const viaForge = decryptKeyAnswer(
        frame.wire,
        rsaDecryptor(transcript.clientPrivateKeyPem, 'forge'),
      );
      const viaNode = decryptKeyAnswer(
        frame.wire,
        rsaDecryptor(transcript.clientPrivateKeyPem, 'node'),
      );
      expect(viaForge).toBeDefined();
      expect(viaNode).toEqual(viaForge);
      // A ciphertext of the wrong size never reaches either engine.
      expect(
        rsaDecryptor(transcript.clientPrivateKeyPem).decrypt(Buffer.alloc(255)),
      ).toBeUndefined();
    });

    it('HELO carries the client PEM and a 512-byte RSA block for the 4096-bit server key (§4 step 2)', () => {
      const helo = parseHelo(transcript.frames.find((f) => f.label === 'helo')!.wire)!;
      expect(helo.name).toBe('gorgone-3');
      expect(jwkThumbprint(parsePublicKey(helo.clientPem))).toBe(CLIENT_THUMBPRINT);
      expect(helo.encryptedHelo.length).toBe(512);
    });

    it('decrypts [KEY], then every frame in order, following the rotations (§4 step 3, §5)', () => {
      let keys: SessionKeys | undefined;
      let rotations = 0;
      let checked = 0;
      for (const frame of transcript.frames) {
        if (frame.label === 'key') {
          keys = decryptKeyAnswer(frame.wire, decryptor);
          expect(keys).toBeDefined();
          expect(JSON.parse(frame.clear!.slice(6))).toEqual({
            ...JSON.parse(frame.clear!.slice(6)),
            key: keys!.key.toString('hex'),
            iv: keys!.iv.toString('hex'),
            hostname: 'gorgone-central-test',
          });
          continue;
        }
        if (keys === undefined) continue;
        const plain = decryptFrame(keys, frame.wire);
        expect(plain, `${frame.time} ${frame.label}`).toBe(frame.clear);
        if (frame.direction === 'C->S') {
          // Fixed key and IV: encryption is deterministic, byte for byte (§4 step 4).
          expect(encryptFrame(keys, frame.clear!)).toBe(frame.wire);
        }
        const rotated = parseKeyMessage(plain!);
        if (rotated !== undefined) {
          // A rotation [KEY] is under the old key; later frames do not decrypt with it.
          const later = transcript.frames.find(
            (f) => f.time > frame.time && f.direction === 'S->C',
          )!;
          expect(decryptFrame(keys, later.wire)?.startsWith('[')).not.toBe(true);
          keys = rotated;
          rotations++;
        } else {
          const message = parseMessage(plain!);
          expect(message, plain).toBeDefined();
        }
        checked++;
      }
      const keyIndex = transcript.frames.findIndex((f) => f.label === 'key');
      expect(checked).toBe(transcript.frames.length - keyIndex - 1);
      expect(rotations).toBe(file === 'gorgone-pull-node-transcript.txt' ? 2 : 0);
    });

    it('parses the headers of what a central sends a pull node (§8)', () => {
      let keys: SessionKeys | undefined;
      const seen: string[] = [];
      for (const frame of transcript.frames) {
        if (frame.label === 'key') keys = decryptKeyAnswer(frame.wire, decryptor);
        else if (keys !== undefined && frame.direction === 'S->C') {
          const plain = decryptFrame(keys, frame.wire)!;
          const rotated = parseKeyMessage(plain);
          if (rotated !== undefined) keys = rotated;
          else seen.push(`${parseMessage(plain)!.action}:${parseMessage(plain)!.target ?? '-'}`);
        }
      }
      if (file === 'gorgone-pull-node-transcript.txt') {
        expect(seen).toEqual(
          expect.arrayContaining([
            'COMMAND:3',
            'PING:3',
            'GETLOG:3',
            'SYNCLOGS:',
            'ACK:-',
            'PONG:',
            'GETTHUMBPRINT:-',
          ]),
        );
      } else {
        expect(seen).toEqual(['PONG:', 'GETTHUMBPRINT:-']);
      }
    });
  });
}
