/**
 * Extracting a PROCESSCOPY archive (main/core/protocols/gorgone/archive.ts):
 * real `tar czf` output into a real folder; every refusal leaves the folder
 * (and everything around it) exactly as it was; fast-check throws random and
 * corrupted payloads at it and checks nothing lands outside the destination.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import { extractArchive } from '../../../../main/core/protocols/gorgone/archive.ts';
import type { TarLimits } from '../../../../main/core/protocols/gorgone/tar.ts';
import { tarEntry, tarOf, treeOf } from './helpers.ts';
import { makeTempDirSync } from '../../../peers/util.ts';

const LIMITS: TarLimits = { maxBytes: 64 * 1024 * 1024, maxEntries: 1_000 };
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A sandbox: `root` is the configured folder, `outside` a sibling nothing may touch. */
function sandbox(): { base: string; root: string; outside: string; source: string } {
  const temp = makeTempDirSync('gorgone');
  cleanups.push(temp.cleanup);
  const base = temp.dir;
  const paths = {
    base,
    root: join(base, 'root'),
    outside: join(base, 'outside'),
    source: join(base, 'source'),
  };
  mkdirSync(paths.root);
  mkdirSync(paths.outside);
  mkdirSync(paths.source);
  writeFileSync(join(paths.outside, 'keep.cfg'), 'outside\n');
  return paths;
}

/** What the central does: `tar -czf X -C <dir> .` (name order, for stable tests). */
function tarGz(dir: string, payload: string, ...extra: string[]): string {
  execFileSync('tar', ['-cz', '--sort=name', ...extra, '-f', payload, '-C', dir, '.']);
  return payload;
}

async function refusal(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

/** Runs a refused extraction and proves nothing anywhere in the sandbox changed. */
async function refusedUntouched(
  box: ReturnType<typeof sandbox>,
  payload: string,
  destination = box.root,
  limits = LIMITS,
): Promise<string> {
  const before = treeOf(box.base);
  const error = await refusal(extractArchive(payload, box.root, destination, limits));
  expect(treeOf(box.base)).toEqual(before);
  expect(error.message).toMatch(/\(nothing was written to .*\)$/);
  return error.message;
}

describe('archive extraction', () => {
  it('extracts `tar czf` output: contents, folders, permission bits without setuid/setgid/sticky, mtimes', async () => {
    const box = sandbox();
    const long = `${'l'.repeat(140)}.cfg`;
    mkdirSync(join(box.source, 'conf.d', 'sub'), { recursive: true });
    writeFileSync(join(box.source, 'centengine.cfg'), 'cfg\n');
    writeFileSync(join(box.source, 'conf.d', long), randomBytes(100_000));
    writeFileSync(join(box.source, 'conf.d', 'sub', 'empty.cfg'), '');
    writeFileSync(join(box.source, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(box.source, 'run.sh'), 0o6750);
    chmodSync(join(box.source, 'conf.d', 'sub'), 0o3750);
    chmodSync(join(box.source, 'centengine.cfg'), 0o640);
    utimesSync(join(box.source, 'centengine.cfg'), 1_600_000_000, 1_600_000_000);
    const payload = tarGz(box.source, join(box.base, 'p.tar.gz'));
    const destination = join(box.root, 'engine');

    const result = await extractArchive(payload, box.root, destination, LIMITS);

    expect(result).toEqual({ files: 4, directories: 2, bytes: 100_014 });
    const strip = (tree: ReturnType<typeof treeOf>) =>
      tree.map((e) => ({ ...e, mode: e.mode & 0o777 }));
    expect(treeOf(destination)).toEqual(strip(treeOf(box.source)));
    expect(statSync(join(destination, 'run.sh')).mode & 0o7777).toBe(0o750);
    expect(statSync(join(destination, 'conf.d', 'sub')).mode & 0o7777).toBe(0o750);
    expect(statSync(join(destination, 'centengine.cfg')).mtimeMs).toBe(1_600_000_000_000);
    expect(treeOf(box.outside)).toEqual([
      { path: 'keep.cfg', kind: 'file', mode: 0o644, md5: expect.any(String) },
    ]);
  });

  it('overwrites existing files whole, keeps the others, and leaves no temporary file', async () => {
    const box = sandbox();
    writeFileSync(join(box.source, 'a.cfg'), 'new a\n');
    writeFileSync(join(box.root, 'a.cfg'), 'old a, much longer than the new one\n');
    writeFileSync(join(box.root, 'local.cfg'), 'not in the archive\n');
    const inode = lstatSync(join(box.root, 'a.cfg')).ino;
    const payload = tarGz(box.source, join(box.base, 'p.tar.gz'));
    await extractArchive(payload, box.root, box.root, LIMITS);
    expect(readFileSync(join(box.root, 'a.cfg'), 'utf8')).toBe('new a\n');
    // Replaced by rename, not rewritten in place: a reader never sees half a file.
    expect(lstatSync(join(box.root, 'a.cfg')).ino).not.toBe(inode);
    expect(readFileSync(join(box.root, 'local.cfg'), 'utf8')).toBe('not in the archive\n');
    expect(treeOf(box.root).map((e) => e.path)).toEqual(['a.cfg', 'local.cfg']);
  });

  it('replaces a symlink standing where a file goes instead of writing through it', async () => {
    const box = sandbox();
    writeFileSync(join(box.source, 'a.cfg'), 'deployed\n');
    symlinkSync(join(box.outside, 'keep.cfg'), join(box.root, 'a.cfg'));
    const payload = tarGz(box.source, join(box.base, 'p.tar.gz'));
    await extractArchive(payload, box.root, box.root, LIMITS);
    expect(lstatSync(join(box.root, 'a.cfg')).isFile()).toBe(true);
    expect(readFileSync(join(box.root, 'a.cfg'), 'utf8')).toBe('deployed\n');
    expect(readFileSync(join(box.outside, 'keep.cfg'), 'utf8')).toBe('outside\n');
  });
});

describe('archive refusals leave everything as it was', () => {
  it('a `../` member (tar -P)', async () => {
    const box = sandbox();
    mkdirSync(join(box.source, 'in'));
    writeFileSync(join(box.source, 'evil.cfg'), 'x');
    const payload = join(box.base, 'p.tar.gz');
    execFileSync('tar', ['-czPf', payload, '-C', join(box.source, 'in'), '../evil.cfg']);
    expect(await refusedUntouched(box, payload)).toMatch(
      /^archive entry '\.\.\/evil\.cfg' escapes the destination/,
    );
  });

  it('an absolute member (tar -P)', async () => {
    const box = sandbox();
    const payload = join(box.base, 'p.tar.gz');
    execFileSync('tar', ['-czPf', payload, join(box.outside, 'keep.cfg')]);
    expect(await refusedUntouched(box, payload)).toMatch(/is an absolute path → refused/);
  });

  it('a symlink, a hard link or a FIFO after good files: none of the good files is written', async () => {
    const box = sandbox();
    for (const name of ['a.cfg', 'b.cfg']) writeFileSync(join(box.source, name), name);
    symlinkSync('/etc/shadow', join(box.source, 'z-link'));
    const payload = tarGz(box.source, join(box.base, 'p.tar.gz'));
    expect(await refusedUntouched(box, payload)).toMatch(
      /^archive holds a symlink '\.\/z-link' → '\/etc\/shadow' → refused/,
    );

    const hard = sandbox();
    writeFileSync(join(hard.source, 'a.cfg'), 'a');
    linkSync(join(hard.source, 'a.cfg'), join(hard.source, 'b.cfg'));
    expect(await refusedUntouched(hard, tarGz(hard.source, join(hard.base, 'p.tar.gz')))).toMatch(
      /^archive holds a hard link '\.\/b\.cfg' → '\.\/a\.cfg' → refused/,
    );

    const fifo = sandbox();
    writeFileSync(join(fifo.source, 'a.cfg'), 'a');
    execFileSync('mkfifo', [join(fifo.source, 'p')]);
    expect(await refusedUntouched(fifo, tarGz(fifo.source, join(fifo.base, 'p.tar.gz')))).toMatch(
      /^archive holds a FIFO '\.\/p' → refused/,
    );
  });

  it('a zip bomb: over the byte cap, or over the entry cap', async () => {
    const box = sandbox();
    writeFileSync(join(box.source, 'zeros.bin'), Buffer.alloc(8 * 1024 * 1024));
    const payload = tarGz(box.source, join(box.base, 'p.tar.gz'));
    expect(statSync(payload).size).toBeLessThan(64 * 1024);
    const limits = { maxBytes: 1024 * 1024, maxEntries: 100 };
    expect(await refusedUntouched(box, payload, box.root, limits)).toMatch(
      /^archive unpacks to more than 1048576 bytes \('\.\/zeros\.bin' alone holds 8388608 bytes\) → refused \(processcopy\.maxArchiveBytes\)/,
    );

    const many = sandbox();
    for (let i = 0; i < 20; i++) writeFileSync(join(many.source, `f${i}`), '');
    const manyPayload = tarGz(many.source, join(many.base, 'p.tar.gz'));
    expect(
      await refusedUntouched(many, manyPayload, many.root, { maxBytes: 1 << 20, maxEntries: 10 }),
    ).toMatch(/^archive holds more than 10 entries → refused \(processcopy\.maxArchiveEntries\)/);
  });

  it('a symlinked folder in the destination is never written through', async () => {
    const box = sandbox();
    mkdirSync(join(box.source, 'conf.d'));
    writeFileSync(join(box.source, 'conf.d', 'hosts.cfg'), 'x');
    symlinkSync(box.outside, join(box.root, 'conf.d'));
    const payload = tarGz(box.source, join(box.base, 'p.tar.gz'));
    expect(await refusedUntouched(box, payload)).toMatch(
      /^'conf\.d' in the destination is a symlink: refusing to write through it/,
    );
    // …nor a symlinked destination below the configured folder.
    symlinkSync(box.outside, join(box.root, 'engine'));
    expect(await refusedUntouched(box, payload, join(box.root, 'engine', 'sub'))).toMatch(
      /destination path .*engine is a symlink: refusing to write through it/,
    );
  });

  it('type clashes in the destination and inside the archive, and the reserved name prefix', async () => {
    const box = sandbox();
    writeFileSync(join(box.source, 'conf.d'), 'a file here');
    mkdirSync(join(box.root, 'conf.d'));
    const payload = tarGz(box.source, join(box.base, 'p.tar.gz'));
    expect(await refusedUntouched(box, payload)).toMatch(
      /^'conf\.d' in the destination is a directory, but the archive holds a file there/,
    );

    const clash = sandbox();
    const archive = tarOf(
      tarEntry({ name: 'a' }, Buffer.from('file')),
      tarEntry({ name: 'a/b' }, Buffer.from('below a file')),
    );
    const clashPayload = join(clash.base, 'clash.tar.gz');
    writeFileSync(clashPayload, gzipSync(archive));
    expect(await refusedUntouched(clash, clashPayload)).toMatch(
      /^archive entry 'a\/b' is below 'a', which the archive holds as a file → refused/,
    );

    const reserved = sandbox();
    const reservedPayload = join(reserved.base, 'r.tar.gz');
    writeFileSync(reservedPayload, gzipSync(tarOf(tarEntry({ name: 'x/.outpost-tmp-1' }))));
    expect(await refusedUntouched(reserved, reservedPayload)).toMatch(
      /reserved name prefix '\.outpost-' → refused/,
    );
  });

  it('a payload that is not gzip, or gzip of something that is not tar', async () => {
    const box = sandbox();
    const notGzip = join(box.base, 'a');
    writeFileSync(notGzip, 'plain text');
    expect(await refusedUntouched(box, notGzip)).toMatch(/^the archive is not a valid gzip stream/);
    const notTar = join(box.base, 'b');
    writeFileSync(notTar, gzipSync(Buffer.alloc(2048, 0x41)));
    expect(await refusedUntouched(box, notTar)).toMatch(/^the archive is corrupt or not a tar/);
  });
});

describe('archive extraction properties', () => {
  /** Everything in the sandbox except the destination, to prove nothing was written there. */
  function outsideOf(box: ReturnType<typeof sandbox>) {
    return treeOf(box.base).filter((e) => e.path !== 'root' && !e.path.startsWith('root/'));
  }

  /** `root/linked` → `outside`: a planted symlink the archive must never write through. */
  function plantLink(box: ReturnType<typeof sandbox>) {
    rmSync(join(box.root, 'linked'), { recursive: true, force: true });
    symlinkSync(box.outside, join(box.root, 'linked'));
  }

  async function extractOrRefuse(
    box: ReturnType<typeof sandbox>,
    payload: string,
    destination = join(box.root, 'dest'),
  ) {
    const outside = outsideOf(box);
    const before = treeOf(box.root);
    let extracted = false;
    try {
      await extractArchive(payload, box.root, destination, {
        maxBytes: 1 << 20,
        maxEntries: 50,
      });
      extracted = true;
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      if (error.message.endsWith(')') && error.message.includes('nothing was written')) {
        expect(treeOf(box.root)).toEqual(before);
      }
    }
    expect(outsideOf(box)).toEqual(outside);
    for (const entry of treeOf(box.root)) {
      if (entry.path !== 'linked') expect(entry.kind).not.toBe('symlink');
      expect(entry.path.split('/').at(-1)!.startsWith('.outpost-')).toBe(false);
      expect(entry.mode & 0o7000).toBe(0);
    }
    return extracted;
  }

  it('random and gzip-wrapped random bytes never write outside the destination', async () => {
    const box = sandbox();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), async (bytes, zip) => {
        const payload = join(box.base, `random-${n++}`);
        writeFileSync(payload, zip ? gzipSync(bytes) : bytes);
        await extractOrRefuse(box, payload);
      }),
      { numRuns: 150 },
    );
  });

  it('hostile and corrupted archives never write outside the destination', async () => {
    const box = sandbox();
    const part = fc.constantFrom('a', 'b', 'linked', '.', '..', '', '.outpost-x');
    const entry = fc.record({
      name: fc.array(part, { minLength: 1, maxLength: 4 }).map((p) => p.join('/')),
      type: fc.constantFrom('0', '0', '5', '2', '1', '6', 'x'),
      mode: fc.integer({ min: 0, max: 0o7777 }),
      content: fc.uint8Array({ maxLength: 700 }),
    });
    let n = 0;
    let extractions = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 6 }),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { nil: undefined }),
        async (entries, flip) => {
          const archive = tarOf(
            ...entries.map((e) =>
              tarEntry(
                { name: e.name, type: e.type, mode: e.mode, linkname: '../outside/keep.cfg' },
                Buffer.from(e.content),
              ),
            ),
          );
          if (flip !== undefined) archive[flip[0] % archive.length] = flip[1];
          const payload = join(box.base, `hostile-${n++}.tar.gz`);
          writeFileSync(payload, gzipSync(archive));
          plantLink(box);
          if (await extractOrRefuse(box, payload, box.root)) extractions += 1;
        },
      ),
      { numRuns: 250 },
    );
    expect(extractions).toBeGreaterThan(10); // the property also covers archives that pass
    expect(existsSync(join(box.outside, 'a'))).toBe(false);
    expect(readFileSync(join(box.outside, 'keep.cfg'), 'utf8')).toBe('outside\n');
  });
});
