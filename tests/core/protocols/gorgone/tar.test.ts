/**
 * The PROCESSCOPY archive reader (main/core/protocols/gorgone/tar.ts): checked
 * against what the system's GNU tar writes (the central runs `tar -czf X -C
 * <dir> .`), against hand-built hostile headers, and with fast-check on random
 * and corrupted input (STYLE.md "Property tests for every parser of network
 * input").
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import {
  MAX_METADATA_BYTES,
  normaliseEntryPath,
  readTar,
  type TarEntry,
  type TarLimits,
} from '../../../../main/core/protocols/gorgone/tar.ts';
import { tarEntry, tarHeader, tarOf } from './helpers.ts';
import { makeTempDirSync } from '../../../peers/util.ts';

const LIMITS: TarLimits = { maxBytes: 64 * 1024 * 1024, maxEntries: 1_000 };
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function scratch(): string {
  const temp = makeTempDirSync('gorgone');
  cleanups.push(temp.cleanup);
  return temp.dir;
}

/** Feeds `bytes` in uneven pieces, as a gunzip stream would. */
async function* piecesOf(bytes: Uint8Array, size = 777): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function readAll(
  bytes: Uint8Array,
  limits: TarLimits = LIMITS,
  size?: number,
): Promise<Array<TarEntry & { content: Buffer }>> {
  const out: Array<TarEntry & { content: Buffer }> = [];
  const parts: Buffer[] = [];
  for await (const event of readTar(piecesOf(bytes, size), limits)) {
    if (event.type === 'entry') out.push({ ...event.entry, content: Buffer.alloc(0) });
    else if (event.type === 'data') parts.push(Buffer.from(event.bytes));
    else out.at(-1)!.content = Buffer.concat(parts.splice(0));
  }
  return out;
}

async function refusal(bytes: Uint8Array, limits: TarLimits = LIMITS): Promise<AgentError> {
  const error = await readAll(bytes, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

/** `tar -c` of `dir` (as the central does: `-C dir .`), uncompressed, in name order. */
function gnuTar(dir: string, ...options: string[]): Buffer {
  return execFileSync('tar', ['-c', '--sort=name', ...options, '-C', dir, '.'], {
    maxBuffer: 256 * 1024 * 1024,
  });
}

const LONG_DIR = `d${'e'.repeat(119)}`;
const LONG_FILE = `f${'i'.repeat(129)}.cfg`;

function sampleTree(): string {
  const dir = scratch();
  mkdirSync(join(dir, 'conf.d', LONG_DIR), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'centengine.cfg'), 'cfg_dir=/etc/centreon-engine\n');
  writeFileSync(join(dir, 'conf.d', 'hosts.cfg'), randomBytes(70_000));
  writeFileSync(join(dir, 'conf.d', LONG_DIR, LONG_FILE), 'deep\n');
  writeFileSync(join(dir, 'empty.cfg'), '');
  writeFileSync(join(dir, 'plugin.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'plugin.sh'), 0o4755);
  chmodSync(join(dir, 'empty'), 0o1770);
  return dir;
}

let hasGnuTar = false;
beforeAll(() => {
  try {
    hasGnuTar = execFileSync('tar', ['--version']).toString().includes('GNU tar');
  } catch {
    hasGnuTar = false;
  }
});

describe('tar reader against GNU tar output', () => {
  it('reads `tar -C dir .`: ./ entries, nested folders, a 250-character path (GNU L header), modes without setuid or sticky', async (context) => {
    if (!hasGnuTar) context.skip();
    const dir = sampleTree();
    const entries = await readAll(gnuTar(dir));
    expect(entries.map((e) => [e.kind, e.path])).toEqual([
      ['directory', ''],
      ['file', 'centengine.cfg'],
      ['directory', 'conf.d'],
      ['directory', `conf.d/${LONG_DIR}`],
      ['file', `conf.d/${LONG_DIR}/${LONG_FILE}`],
      ['file', 'conf.d/hosts.cfg'],
      ['directory', 'empty'],
      ['file', 'empty.cfg'],
      ['file', 'plugin.sh'],
    ]);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get(`conf.d/${LONG_DIR}/${LONG_FILE}`)!.name).toBe(
      `./conf.d/${LONG_DIR}/${LONG_FILE}`,
    );
    expect(byPath.get('conf.d/hosts.cfg')!.content).toEqual(
      readFileSync(join(dir, 'conf.d', 'hosts.cfg')),
    );
    expect(byPath.get('conf.d/hosts.cfg')!.size).toBe(70_000);
    expect(byPath.get('empty.cfg')!.content.length).toBe(0);
    expect(byPath.get('plugin.sh')!.mode).toBe(0o755);
    expect(byPath.get('empty')!.mode).toBe(0o770);
  });

  it('reads pax headers (`--format=pax`): a 250-character path and a UTF-8 name', async (context) => {
    if (!hasGnuTar) context.skip();
    const dir = sampleTree();
    writeFileSync(join(dir, 'hôtes-éàü.cfg'), 'utf8\n');
    const archive = gnuTar(dir, '--format=pax');
    expect(archive.includes(Buffer.from(`path=./conf.d/${LONG_DIR}/${LONG_FILE}`))).toBe(true);
    const entries = await readAll(archive, LIMITS, 100);
    const names = entries.map((e) => e.path);
    expect(names).toContain(`conf.d/${LONG_DIR}/${LONG_FILE}`);
    expect(names).toContain('hôtes-éàü.cfg');
    expect(entries.find((e) => e.path === 'hôtes-éàü.cfg')!.content.toString()).toBe('utf8\n');
  });

  it('joins the ustar prefix and name fields (`--format=ustar`)', async (context) => {
    if (!hasGnuTar) context.skip();
    const dir = scratch();
    const [folder, file] = ['p'.repeat(90), `${'q'.repeat(90)}.cfg`];
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, file), 'split\n');
    const archive = gnuTar(dir, '--format=ustar');
    const header = archive.subarray(1024, 1536);
    expect(header.subarray(345, 500).toString('latin1')).toMatch(/^\.\/p{90}\0/);
    const entries = await readAll(archive);
    expect(entries.map((e) => e.path)).toEqual(['', folder, `${folder}/${file}`]);
    expect(entries[2]!.content.toString()).toBe('split\n');
  });

  it('reads the gzip stream the central sends (`tar czf`), fed in any piece size', async (context) => {
    if (!hasGnuTar) context.skip();
    const dir = sampleTree();
    const gz = execFileSync('tar', ['-cz', '--sort=name', '-C', dir, '.']);
    const plain = await readAll(gunzipSync(gz));
    for (const size of [1, 511, 512, 513, 65_536]) {
      const again = await readAll(gunzipSync(gz), LIMITS, size);
      expect(again.map((e) => [e.path, e.content.length])).toEqual(
        plain.map((e) => [e.path, e.content.length]),
      );
    }
  });

  it('refuses what GNU tar stores for a symlink, a hard link and a FIFO', async (context) => {
    if (!hasGnuTar) context.skip();
    const link = scratch();
    writeFileSync(join(link, 'target.cfg'), 'x');
    symlinkSync('/etc/passwd', join(link, 'a'));
    expect((await refusal(gnuTar(link))).message).toBe(
      "archive holds a symlink './a' → '/etc/passwd' → refused",
    );
    const hard = scratch();
    writeFileSync(join(hard, 'one.cfg'), 'x');
    linkSync(join(hard, 'one.cfg'), join(hard, 'two.cfg'));
    expect((await refusal(gnuTar(hard))).message).toBe(
      "archive holds a hard link './two.cfg' → './one.cfg' → refused",
    );
    const fifo = scratch();
    execFileSync('mkfifo', [join(fifo, 'pipe')]);
    expect((await refusal(gnuTar(fifo))).message).toBe("archive holds a FIFO './pipe' → refused");
  });

  it('refuses the `../` and absolute member names `tar -P` keeps', async (context) => {
    if (!hasGnuTar) context.skip();
    const dir = scratch();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'evil.cfg'), 'x');
    const dotdot = execFileSync('tar', ['-cP', '-C', join(dir, 'src'), '../evil.cfg']);
    expect((await refusal(dotdot)).message).toBe(
      "archive entry '../evil.cfg' escapes the destination",
    );
    const absolute = execFileSync('tar', ['-cP', join(dir, 'evil.cfg')]);
    expect((await refusal(absolute)).message).toBe(
      `archive entry '${join(dir, 'evil.cfg')}' is an absolute path → refused`,
    );
  });
});

describe('tar reader refusals (hand-built headers)', () => {
  it('refuses devices and unknown entry types', async () => {
    expect((await refusal(tarOf(tarEntry({ name: 'tty', type: '3' })))).message).toBe(
      "archive holds a character device 'tty' → refused",
    );
    expect((await refusal(tarOf(tarEntry({ name: 'sda', type: '4' })))).message).toBe(
      "archive holds a block device 'sda' → refused",
    );
    expect((await refusal(tarOf(tarEntry({ name: 'sparse', type: 'S' })))).message).toBe(
      "archive entry 'sparse' has the unsupported type 'S' → refused",
    );
  });

  it('refuses traversal however it is spelled, and backslashes', async () => {
    for (const name of ['a/../../x', './..', 'a/b/..', '..']) {
      expect((await refusal(tarOf(tarEntry({ name }, Buffer.from('x'))))).message).toBe(
        `archive entry '${name}' escapes the destination`,
      );
    }
    expect((await refusal(tarOf(tarEntry({ name: 'x', prefix: '/etc' })))).message).toBe(
      "archive entry '/etc/x' is an absolute path → refused",
    );
    expect((await refusal(tarOf(tarEntry({ name: '..\\x' })))).message).toMatch(/backslash/);
    expect(normaliseEntryPath('./a//b/./c/')).toBe('a/b/c');
    expect(normaliseEntryPath('./')).toBe('');
  });

  it('takes the path from a pax record over a GNU long name over the header', async () => {
    const pax = Buffer.from('30 path=../../etc/cron.d/evil\n');
    const archive = tarOf(
      tarEntry({ name: 'PaxHeaders/x', type: 'x' }, pax),
      tarEntry({ name: 'harmless' }, Buffer.from('x')),
    );
    expect((await refusal(archive)).message).toBe(
      "archive entry '../../etc/cron.d/evil' escapes the destination",
    );
    const long = tarOf(
      tarEntry({ name: '././@LongLink', type: 'L' }, Buffer.from(`${'a/'.repeat(80)}b\0`)),
      tarEntry({ name: 'short' }, Buffer.from('y')),
    );
    expect((await readAll(long)).map((e) => e.path)).toEqual([`${'a/'.repeat(80)}b`]);
  });

  it('refuses more entries than allowed, and a stream over the byte cap before reading it', async () => {
    const many = tarOf(...Array.from({ length: 6 }, (_, i) => tarEntry({ name: `f${i}` })));
    expect((await refusal(many, { maxBytes: 1 << 20, maxEntries: 5 })).message).toBe(
      'archive holds more than 5 entries → refused (processcopy.maxArchiveEntries)',
    );
    // A header claiming 8 GiB: refused from the header, nothing of it is read.
    const huge = tarHeader({ name: 'zeros.bin', size: 0o77777777777 });
    expect((await refusal(huge, { maxBytes: 1 << 20, maxEntries: 5 })).message).toBe(
      `archive unpacks to more than ${1 << 20} bytes ('zeros.bin' alone holds ${0o77777777777} bytes) → refused (processcopy.maxArchiveBytes)`,
    );
    const bigMeta = tarEntry(
      { name: '././@LongLink', type: 'L' },
      Buffer.alloc(MAX_METADATA_BYTES + 1, 0x61),
    );
    expect((await refusal(tarOf(bigMeta))).message).toMatch(/metadata header 'L'.*→ refused/);
  });

  it('names a corrupt stream: bad checksum, no ustar magic, truncated content', async () => {
    const bad = tarEntry({ name: 'a' }, Buffer.from('x'));
    bad[0] = 0x62;
    expect((await refusal(tarOf(bad))).message).toBe(
      'the archive is corrupt or not a tar archive: bad header checksum at offset 0',
    );
    expect((await refusal(Buffer.alloc(512, 0x41))).code).toBe('protocol');
    const truncated = tarEntry({ name: 'a' }, Buffer.alloc(2000, 1)).subarray(0, 1500);
    expect((await refusal(truncated)).message).toMatch(/ends inside the file 'a'/);
  });

  it('stops at the first zero block and reads nothing after it', async () => {
    const archive = Buffer.concat([
      tarOf(tarEntry({ name: 'a' }, Buffer.from('1'))),
      tarEntry({ name: '../after-the-end' }),
    ]);
    expect((await readAll(archive)).map((e) => e.path)).toEqual(['a']);
  });
});

/** Every path the reader hands out is one a consumer can join below its folder. */
function assertSafe(entries: TarEntry[]): void {
  for (const entry of entries) {
    expect(entry.path.startsWith('/')).toBe(false);
    if (entry.path !== '') {
      for (const part of entry.path.split('/')) {
        expect(['', '.', '..']).not.toContain(part);
        expect(part.includes('\\')).toBe(false);
      }
    }
    expect(entry.mode & ~0o777).toBe(0);
  }
}

async function readOrRefuse(bytes: Uint8Array, limits: TarLimits = LIMITS): Promise<void> {
  try {
    assertSafe(await readAll(bytes, limits, 300));
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    expect(['refused', 'protocol']).toContain(error.code);
  }
}

describe('tar reader properties', () => {
  const nameParts = fc.constantFrom('a', 'b', '.', '..', '', '/', '\\', 'é', '.outpost-x', 'C:');
  const hostileName = fc.array(nameParts, { maxLength: 8 }).map((parts) => parts.join(''));
  const hostileEntry = fc.record({
    name: hostileName,
    prefix: fc.option(hostileName, { nil: undefined }),
    type: fc.constantFrom('0', '5', '1', '2', '3', '6', '7', 'L', 'x', 'K', 'g', 'V', '\0'),
    mode: fc.integer({ min: 0, max: 0o7777 }),
    content: fc.uint8Array({ maxLength: 1200 }),
  });

  it('random bytes only ever end in a refusal, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        await readOrRefuse(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('archives of hostile headers yield only safe relative paths and permission bits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileEntry, { maxLength: 6 }), async (entries) => {
        const archive = tarOf(
          ...entries.map((e) =>
            tarEntry(
              { name: e.name, prefix: e.prefix, type: e.type, mode: e.mode },
              Buffer.from(e.content),
            ),
          ),
        );
        await readOrRefuse(archive);
      }),
      { numRuns: 400 },
    );
  });

  it('a real archive with flipped bytes, cut short or spliced never crashes the reader', async (context) => {
    if (!hasGnuTar) context.skip();
    const real = gnuTar(sampleTree(), '--format=pax');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 8,
        }),
        fc.nat(real.length),
        fc.uint8Array({ maxLength: 700 }),
        async (flips, cut, splice) => {
          const bytes = Buffer.from(real);
          for (const [at, value] of flips) bytes[at] = value;
          await readOrRefuse(Buffer.concat([bytes.subarray(0, cut), splice]));
          await readOrRefuse(bytes, { maxBytes: 60_000, maxEntries: 4 });
        },
      ),
      { numRuns: 300 },
    );
  });
});
