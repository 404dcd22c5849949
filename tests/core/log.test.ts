import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, FileLogSink, redact } from '../../main/core/log.ts';
import { makeTempDir } from '../peers/util.ts';

const SECRET = 'S3cr3t-value-that-must-never-be-logged';

/** `value` wrapped in `depth` levels of objects and arrays. */
function nest(value: unknown, depth: number): unknown {
  let out = value;
  for (let i = 0; i < depth; i++) out = i % 2 === 0 ? { level: out } : [out];
  return out;
}

describe('log redaction', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('log'));
  });
  afterAll(() => cleanup());

  it('hides a secret field however deep it is nested', () => {
    for (let depth = 0; depth <= 20; depth++) {
      const out = JSON.stringify(redact(nest({ password: SECRET, ok: 'visible' }, depth)));
      expect(out, `depth ${depth}`).not.toContain(SECRET);
    }
    // Shallow detail is kept as it was.
    expect(redact(nest({ password: SECRET, ok: 'visible' }, 3))).toEqual(
      nest({ password: '[redacted]', ok: 'visible' }, 3),
    );
  });

  it('hides credential headers: authorization, proxy-authorization, cookie, set-cookie, apikey', () => {
    const headers = {
      Authorization: `Basic ${SECRET}`,
      'proxy-authorization': `Bearer ${SECRET}`,
      cookie: `sid=${SECRET}`,
      'set-cookie': [`sid=${SECRET}`],
      apikey: SECRET,
      'X-Api-Key': SECRET,
      api_key: SECRET,
      'content-type': 'application/json',
    };
    expect(redact({ headers })).toEqual({
      headers: {
        Authorization: '[redacted]',
        'proxy-authorization': '[redacted]',
        cookie: '[redacted]',
        'set-cookie': '[redacted]',
        apikey: '[redacted]',
        'X-Api-Key': '[redacted]',
        api_key: '[redacted]',
        'content-type': 'application/json',
      },
    });
  });

  it('hides the password of user:password@ in URLs, keeping the rest of the text', () => {
    expect(redact(`cannot connect to amqp://outpost:${SECRET}@broker:5671/vhost: refused`)).toBe(
      'cannot connect to amqp://outpost:[redacted]@broker:5671/vhost: refused',
    );
    // An unencoded '@' in the password does not leave its tail behind.
    expect(redact(`proxy http://u:p@ss${SECRET}@proxy.lan:3128 down`)).toBe(
      'proxy http://u:[redacted]@proxy.lan:3128 down',
    );
    expect(redact({ url: `https://:${SECRET}@h/x` })).toEqual({ url: 'https://:[redacted]@h/x' });
    expect(redact(new Error(`GET https://a:${SECRET}@h failed`))).toBe(
      'GET https://a:[redacted]@h failed',
    );
    // Ports, paths with '@' and mail addresses are not passwords.
    for (const text of [
      'http://host:8080/a@b',
      'mailto:admin@example.com',
      'user@host:22',
      'https://user@host/',
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  it('never lets a secret URL password or secret field through, whatever surrounds it (property)', () => {
    const password = fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=%-]{1,24}$/);
    fc.assert(
      fc.property(
        password,
        fc.constantFrom('amqp', 'amqps', 'http', 'https', 'socks5'),
        fc.string({ maxLength: 20 }),
        fc.nat(12),
        (pw, scheme, before, depth) => {
          const marked = `${pw}Zq9`;
          const text = `${before} ${scheme}://user:${marked}@host.example:1/p`;
          const out = JSON.stringify(redact(nest({ message: text, token: marked }, depth)));
          return !out.includes(marked);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes the redacted line to the log file and to live listeners', async () => {
    const sink = new FileLogSink(join(dir, 'logs'));
    const seen: string[] = [];
    sink.onLine((line) => seen.push(JSON.stringify(line)));
    createLogger(sink).warn(`connect to amqp://u:${SECRET}@h failed`, {
      request: { headers: { authorization: SECRET } },
      deep: nest({ cookie: SECRET }, 12),
    });
    const file = await readFile(sink.file, 'utf8');
    expect(file).toContain('amqp://u:[redacted]@h');
    expect(file).not.toContain(SECRET);
    expect(seen.join('\n')).not.toContain(SECRET);
  });
});
