import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapPandoraConf } from '../../../../main/core/checks/import/pandora.ts';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import {
  md5FileContent,
  md5Hex,
  readAnnouncedMd5,
} from '../../../../main/core/protocols/pandora/conf-key.ts';
import {
  exchangeRemoteConfig,
  type ConfTransport,
} from '../../../../main/core/protocols/pandora/remote-exchange.ts';

/** What a Pandora server's files can hold, and what the agent makes of them (§2.5, §2.6, §10.4). */
const hex32 = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => Buffer.from(b).toString('hex'));

describe('the .md5 file: read leniently, written strictly', () => {
  it('reads trailing LF/CRLF, surrounding blanks, a BOM and uppercase as the same md5', () => {
    fc.assert(
      fc.property(
        hex32,
        fc.boolean(),
        fc.constantFrom('', '\n', '\r\n', ' \n', '\t'),
        fc.constantFrom('', ' ', '\ufeff'),
        (hex, upper, tail, head) => {
          const text = `${head}${upper ? hex.toUpperCase() : hex}${tail}`;
          expect(readAnnouncedMd5(Buffer.from(text, 'utf8'))).toBe(hex);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes, and only ever yields 32 lowercase hex digits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const read = readAnnouncedMd5(bytes);
        if (read !== undefined) expect(read).toMatch(/^[0-9a-f]{32}$/);
      }),
      { numRuns: 500 },
    );
    expect(readAnnouncedMd5(Buffer.from('b54d4466ec9161c4359492760390088'))).toBeUndefined();
    expect(readAnnouncedMd5(Buffer.from('b54d4466ec9161c4359492760390088dd'))).toBeUndefined();
    expect(readAnnouncedMd5(Buffer.alloc(0))).toBeUndefined();
  });

  it('writes 32 lowercase hex bytes, no newline, and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (conf) => {
        const written = md5FileContent(md5Hex(conf));
        expect(written).toHaveLength(32);
        expect(written.toString('latin1')).toMatch(/^[0-9a-f]{32}$/);
        expect(readAnnouncedMd5(written)).toBe(md5Hex(conf));
      }),
      { numRuns: 200 },
    );
    expect(() => md5FileContent('B54D4466EC9161C4359492760390088D')).toThrow(/lowercase/);
  });
});

describe('what the server sends, fuzzed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pandora-props-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A session whose server holds these two files (undefined: "file does not exist"). */
  function serverWith(md5: Uint8Array | undefined, conf: Uint8Array | undefined): ConfTransport {
    return {
      async recv(name, options) {
        const content = name.endsWith('.md5') ? md5 : conf;
        if (content === undefined)
          throw new AgentError('not-found', `no file '${name}'`, { field: 'name' });
        if (content.length > (options.maxBytes ?? Infinity))
          throw new AgentError('refused', 'too big', { field: 'maxBytes' });
        const path = join(options.dir, name);
        await writeFile(path, content);
        return { name, path, bytes: content.length };
      },
      async send(_path, options) {
        return { name: options.name!, bytes: 1, wireBytes: 1 };
      },
    };
  }

  it('a downloaded conf is taken only when its MD5 is the announced one', async () => {
    const local = Buffer.from('server_ip 127.0.0.1\n');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          hex32.map((h) => Buffer.from(h)),
        ),
        fc.uint8Array({ maxLength: 512 }),
        fc.boolean(),
        async (md5, conf, announceRight) => {
          const announced = announceRight ? Buffer.from(md5Hex(conf)) : md5;
          const result = await exchangeRemoteConfig(serverWith(announced, conf), {
            key: 'k',
            localConf: local,
            stagingDir: dir,
          });
          const read = readAnnouncedMd5(announced);
          if (read === undefined) expect(result.kind).toBe('refused');
          else if (read === md5Hex(local)) expect(result.kind).toBe('unchanged');
          else if (read === md5Hex(conf)) {
            expect(result.kind).toBe('changed');
            expect(result.kind === 'changed' && result.conf.equals(Buffer.from(conf))).toBe(true);
          } else expect(result.kind).toBe('refused');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any conf text maps or is refused with a clear error; reported lines are lines of the text', () => {
    const line = fc.oneof(
      fc.constantFrom(
        'module_begin',
        'module_end',
        'module_name m',
        'module_exec echo 1',
        'module_type generic_data',
        'module_interval 0',
        'server_ip 127.0.0.1',
        'server_port 99999',
        'server_opts -x',
        'interval -1',
        'remote_config 2',
        'agent_name __proto__',
        'constructor 1',
        '# comment',
        '',
      ),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        (lines, eol) => {
          const text = lines.join(eol);
          const count = text.split(/\r?\n/).length;
          try {
            const mapping = mapPandoraConf(text, { file: 'f', targetName: 't', dryRun: true });
            for (const issue of mapping.report.unmapped)
              if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1);
            for (const issue of mapping.conf.malformed)
              expect(issue.line).toBeLessThanOrEqual(count);
            expect(mapping.agentInterval).toBeGreaterThan(0);
          } catch (error) {
            expect(error).toBeInstanceOf(AgentError);
            expect((error as AgentError).message).toMatch(/has no server_ip/);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
