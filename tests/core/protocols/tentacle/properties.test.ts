/** Property tests for every parser of network input and the name rule (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import {
  LineBuffer,
  MAX_LINE_BYTES,
  parseReply,
  passwordDigest,
  sendLine,
} from '../../../../main/core/protocols/tentacle/codec.ts';
import {
  assertFileName,
  FORBIDDEN_CHARACTERS,
  fileNameProblem,
} from '../../../../main/core/protocols/tentacle/names.ts';
import {
  buildZip,
  unzipFirstMember,
  ZipError,
} from '../../../../main/core/protocols/tentacle/zip.ts';

describe('reply-line parser', () => {
  it('never throws and classifies every line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        const reply = parseReply(line);
        expect(['ok', 'err', 'size', 'quit', 'unknown']).toContain(reply.type);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads every real success and refusal line', () => {
    expect(parseReply('SEND OK')).toEqual({ type: 'ok', verb: 'SEND' });
    expect(parseReply('ZSEND OK')).toEqual({ type: 'ok', verb: 'ZSEND' });
    expect(parseReply('PASS OK')).toEqual({ type: 'ok', verb: 'PASS' });
    expect(parseReply('SEND ERR (file already exists)')).toEqual({
      type: 'err',
      verb: 'SEND',
      reason: 'file already exists',
    });
    expect(parseReply('ZSEND ERR')).toEqual({ type: 'err', verb: 'ZSEND', reason: '' });
    expect(parseReply('RECV ERR (file has an invalid file name)')).toEqual({
      type: 'err',
      verb: 'RECV',
      reason: 'file has an invalid file name',
    });
    expect(parseReply('ZRECV SIZE 266')).toEqual({ type: 'size', verb: 'ZRECV', size: 266 });
    expect(parseReply('QUIT')).toEqual({ type: 'quit' });
  });

  it('round-trips any size and rejects anything but digits', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('RECV', 'ZRECV'),
        (size, verb) => {
          const reply = parseReply(`${verb} SIZE ${size}`);
          if (size <= 999_999_999_999_999) expect(reply).toEqual({ type: 'size', verb, size });
          else expect(reply.type).toBe('unknown');
        },
      ),
    );
    for (const bad of [
      'RECV SIZE -1',
      'RECV SIZE 1e3',
      'RECV SIZE ',
      'RECV SIZE 12 ',
      'recv size 3',
      'SEND OK\r',
      ' SEND OK',
    ]) {
      expect(parseReply(bad).type, bad).toBe('unknown');
    }
  });

  it('splits arbitrary byte streams into lines without losing payload bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const buffer = new LineBuffer();
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const lines: string[] = [];
        let failed = false;
        for (const chunk of chunks) {
          buffer.push(Buffer.from(chunk));
          try {
            for (let line = buffer.nextLine(); line !== undefined; line = buffer.nextLine())
              lines.push(line);
          } catch (error) {
            expect(error).toBeInstanceOf(RangeError);
            failed = true;
            break;
          }
        }
        if (failed) return;
        const rebuilt = Buffer.concat([
          ...lines.map((l) => Buffer.from(`${l}\n`, 'latin1')),
          buffer.take(),
        ]);
        expect(rebuilt).toEqual(all);
        for (const line of lines)
          expect(Buffer.byteLength(line, 'latin1') + 1).toBeLessThanOrEqual(MAX_LINE_BYTES);
      }),
    );
  });

  it('digests passwords as hex(MD5(raw MD5)) like the transcripts', () => {
    expect(passwordDigest('s3cret')).toBe('703b089710823916d4bb7ff2deff4d8f');
    expect(passwordDigest('')).toBe('59adb24ef3cdbe0297f05b395827453f');
    expect(passwordDigest('wrong')).toBe('ced33a2ae06e9cbf6a66fe376cef5ba2');
  });
});

describe('file-name validator', () => {
  const safeChar = fc.constantFrom(
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'.split(''),
  );

  it('accepts the recommended names (§6)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/), (name) => {
        expect(fileNameProblem(name)).toBeUndefined();
      }),
    );
  });

  it('refuses any name containing a forbidden or control character', () => {
    const bad = fc.constantFrom(
      ...FORBIDDEN_CHARACTERS.split(''),
      '\n',
      '\r',
      '\0',
      '\t',
      '\x7f',
      '\x1b',
    );
    fc.assert(
      fc.property(
        fc.array(safeChar, { maxLength: 20 }),
        bad,
        fc.array(safeChar, { maxLength: 20 }),
        (pre, c, post) => {
          const name = `${pre.join('')}${c}${post.join('')}`;
          expect(() => assertFileName(name, 'fileName')).toThrow(AgentError);
        },
      ),
    );
  });

  it('refuses ., .., empty, trailing blanks, a trailing | and over-long names', () => {
    for (const name of ['', '.', '..', 'a ', 'a\u00a0', 'x|', 'a'.repeat(256), 'ñ'.repeat(128)]) {
      expect(fileNameProblem(name), JSON.stringify(name)).toBeDefined();
    }
    for (const name of ['pipe|mid', 'sp ace.txt', '.hidden', 'UTF8-ñ.txt', 'a'.repeat(255)]) {
      expect(fileNameProblem(name), name).toBeUndefined();
    }
  });

  it('every accepted name makes a single command line within the limit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'grapheme' }), (name) => {
        if (fileNameProblem(name) !== undefined) return;
        const line = sendLine(name, Number.MAX_SAFE_INTEGER);
        expect(line.indexOf(0x0a)).toBe(line.length - 1);
        expect(line.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
      }),
    );
  });
});

describe('zip reader', () => {
  it('never crashes on random bytes: it returns data or throws ZipError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          unzipFirstMember(Buffer.from(bytes), 1_000_000);
        } catch (error) {
          expect(error).toBeInstanceOf(ZipError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never crashes on corrupted archives', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (data, flips) => {
          const zip = buildZip('member', Buffer.from(data));
          for (const [at, value] of flips) zip[at % zip.length] = value;
          try {
            const out = unzipFirstMember(zip, 1_000_000);
            expect(out.length).toBeLessThanOrEqual(1_000_000);
          } catch (error) {
            expect(error).toBeInstanceOf(ZipError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('round-trips what the writer produces', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (data, name) => {
          expect(unzipFirstMember(buildZip(name, Buffer.from(data)), 5000)).toEqual(
            Buffer.from(data),
          );
        },
      ),
    );
  });

  it('enforces the inflated-size cap', () => {
    const zip = buildZip('bomb', Buffer.alloc(2_000_000));
    expect(zip.length).toBeLessThan(10_000);
    expect(() => unzipFirstMember(zip, 1_000_000)).toThrow(/more than 1000000 bytes/);
  });
});
