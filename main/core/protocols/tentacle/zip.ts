/**
 * The ZIP container of ZSEND/ZRECV (tentacle.md §10): a minimal writer for one
 * member and a reader that extracts the first member only. Streaming both
 * ways, so memory stays flat whatever the file size.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  crc32,
  createDeflateRaw,
  createInflateRaw,
  deflateRawSync,
  inflateRawSync,
} from 'node:zlib';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_RECORD = 0x06054b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_RECORD_BYTES = 22;
/** The end record may be followed by a comment of up to 65535 bytes. */
const MAX_END_SEARCH = END_RECORD_BYTES + 0xffff;
/** Sizes at or above this need Zip64, which we neither write nor read (§10: only for inputs ≥ 4 GiB). */
const ZIP32_LIMIT = 0xffffffff;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const VERSION_NEEDED = 20;

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

interface MemberHeader {
  name: string;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
}

function dosDateTime(date: Date): { time: number; day: number } {
  const year = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    day: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

function localHeader(member: MemberHeader, nameBytes: Buffer, when: Date): Buffer {
  const { time, day } = dosDateTime(when);
  const header = Buffer.alloc(LOCAL_HEADER_BYTES);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(VERSION_NEEDED, 4);
  header.writeUInt16LE(FLAG_UTF8, 6);
  header.writeUInt16LE(METHOD_DEFLATE, 8);
  header.writeUInt16LE(time, 10);
  header.writeUInt16LE(day, 12);
  header.writeUInt32LE(member.crc, 14);
  header.writeUInt32LE(member.compressedSize, 18);
  header.writeUInt32LE(member.uncompressedSize, 22);
  header.writeUInt16LE(nameBytes.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, nameBytes]);
}

function centralRecord(
  member: MemberHeader,
  nameBytes: Buffer,
  when: Date,
  localOffset: number,
  unixMode: number,
): Buffer {
  const { time, day } = dosDateTime(when);
  const central = Buffer.alloc(CENTRAL_HEADER_BYTES);
  central.writeUInt32LE(CENTRAL_HEADER, 0);
  central.writeUInt16LE(0x0300 | VERSION_NEEDED, 4); // made by Unix
  central.writeUInt16LE(VERSION_NEEDED, 6);
  central.writeUInt16LE(FLAG_UTF8, 8);
  central.writeUInt16LE(METHOD_DEFLATE, 10);
  central.writeUInt16LE(time, 12);
  central.writeUInt16LE(day, 14);
  central.writeUInt32LE(member.crc, 16);
  central.writeUInt32LE(member.compressedSize, 20);
  central.writeUInt32LE(member.uncompressedSize, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(((0o100000 | unixMode) << 16) >>> 0, 38); // a regular file with this mode
  central.writeUInt32LE(localOffset, 42);
  return Buffer.concat([central, nameBytes]);
}

function endRecord(members: number, centralSize: number, centralOffset: number): Buffer {
  const end = Buffer.alloc(END_RECORD_BYTES);
  end.writeUInt32LE(END_RECORD, 0);
  end.writeUInt16LE(members, 8);
  end.writeUInt16LE(members, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  return end;
}

/** Central directory and end record of a one-member archive whose local header is at 0. */
function trailer(
  member: MemberHeader,
  nameBytes: Buffer,
  when: Date,
  centralOffset: number,
): Buffer {
  const central = centralRecord(member, nameBytes, when, 0, 0o644);
  return Buffer.concat([central, endRecord(1, central.length, centralOffset)]);
}

export interface ZipEntry {
  name: string;
  data: Buffer | string;
}

/**
 * An archive of a few members built in memory (no streaming, no zip64): a
 * one-file Tentacle ZSEND payload, the diagnostics bundle of the tray app.
 */
export function buildZipArchive(
  entries: readonly ZipEntry[],
  when = new Date(),
  unixMode = 0o644,
): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
    const compressed = deflateRawSync(data);
    const nameBytes = Buffer.from(entry.name, 'utf8');
    const member = {
      name: entry.name,
      crc: crc32(data),
      compressedSize: compressed.length,
      uncompressedSize: data.length,
    };
    const head = localHeader(member, nameBytes, when);
    locals.push(head, compressed);
    centrals.push(centralRecord(member, nameBytes, when, offset, unixMode));
    offset += head.length + compressed.length;
  }
  const central = Buffer.concat(centrals);
  return Buffer.concat([...locals, central, endRecord(entries.length, central.length, offset)]);
}

/** A one-member archive in memory (small payloads and tests). */
export function buildZip(memberName: string, data: Buffer, when = new Date()): Buffer {
  return buildZipArchive([{ name: memberName, data }], when);
}

/** An archive ready to go on the wire: header, the deflated body on disk, trailer. */
export interface PreparedZip {
  size: number;
  stream(): Readable;
  cleanup(): Promise<void>;
}

/**
 * Deflates `sourcePath` into a temporary file first: ZSEND announces the
 * archive size before the data (§4.2), so the compressed size must be known.
 * Sizes and CRC go in the local header (no data descriptor), as §10 recommends.
 */
export async function prepareZip(
  sourcePath: string,
  memberName: string,
  tmpPath: string,
): Promise<PreparedZip> {
  let crc = 0;
  let uncompressedSize = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = crc32(chunk, crc);
      uncompressedSize += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      createReadStream(sourcePath),
      counter,
      createDeflateRaw(),
      createWriteStream(tmpPath, { mode: 0o600 }),
    );
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    throw error;
  }
  const compressedSize = (await stat(tmpPath)).size;
  if (uncompressedSize >= ZIP32_LIMIT || compressedSize >= ZIP32_LIMIT) {
    await unlink(tmpPath).catch(() => undefined);
    throw new ZipError(
      'files of 4 GiB or more need Zip64, which compressed transfers do not support: send it uncompressed',
    );
  }
  const when = new Date();
  const nameBytes = Buffer.from(memberName, 'utf8');
  const member = { name: memberName, crc, compressedSize, uncompressedSize };
  const head = localHeader(member, nameBytes, when);
  const tail = trailer(member, nameBytes, when, head.length + compressedSize);
  return {
    size: head.length + compressedSize + tail.length,
    stream() {
      return (async function* () {
        yield head;
        yield* createReadStream(tmpPath, { highWaterMark: 256 * 1024 });
        yield tail;
      })() as unknown as Readable;
    },
    cleanup: () => unlink(tmpPath).catch(() => undefined),
  };
}

/** Where the first member's data sits in an archive, and what it must inflate to. */
export interface MemberLocation {
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  dataOffset: number;
}

/** Finds the end-of-central-directory record in the archive's tail. */
export function findEndRecord(tail: Buffer): number | undefined {
  for (let i = tail.length - END_RECORD_BYTES; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_RECORD) return i;
  }
  return undefined;
}

/**
 * Reads the first central directory entry. `tail` is the last bytes of the
 * archive, starting at `tailOffset`; `archiveSize` bounds every offset.
 * Throws ZipError on anything malformed; never reads outside `tail`.
 */
export function parseCentralDirectory(
  tail: Buffer,
  tailOffset: number,
  archiveSize: number,
): {
  localOffset: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
} {
  const end = findEndRecord(tail);
  if (end === undefined)
    throw new ZipError('not a zip archive: no end-of-central-directory record');
  const entries = tail.readUInt16LE(end + 10);
  const centralSize = tail.readUInt32LE(end + 12);
  const centralOffset = tail.readUInt32LE(end + 16);
  if (entries === 0) throw new ZipError('the zip archive is empty');
  if (centralOffset === ZIP32_LIMIT || centralSize === ZIP32_LIMIT)
    throw new ZipError('Zip64 archives are not supported');
  const at = centralOffset - tailOffset;
  if (
    at < 0 ||
    at + CENTRAL_HEADER_BYTES > tail.length ||
    centralOffset + centralSize > archiveSize
  ) {
    throw new ZipError('the zip central directory lies outside the archive');
  }
  if (tail.readUInt32LE(at) !== CENTRAL_HEADER)
    throw new ZipError('the zip central directory is corrupt');
  const entry = {
    method: tail.readUInt16LE(at + 10),
    crc: tail.readUInt32LE(at + 16),
    compressedSize: tail.readUInt32LE(at + 20),
    uncompressedSize: tail.readUInt32LE(at + 24),
    localOffset: tail.readUInt32LE(at + 42),
  };
  if (
    entry.compressedSize === ZIP32_LIMIT ||
    entry.uncompressedSize === ZIP32_LIMIT ||
    entry.localOffset === ZIP32_LIMIT
  ) {
    throw new ZipError('Zip64 archives are not supported');
  }
  return entry;
}

/** The fixed local header at the start of `head` (30 bytes + name + extra must be in it). */
export function parseLocalHeader(head: Buffer): {
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  headerLength: number;
} {
  if (head.length < LOCAL_HEADER_BYTES || head.readUInt32LE(0) !== LOCAL_HEADER) {
    throw new ZipError('not a zip archive: no local file header');
  }
  return {
    flags: head.readUInt16LE(6),
    method: head.readUInt16LE(8),
    crc: head.readUInt32LE(14),
    compressedSize: head.readUInt32LE(18),
    uncompressedSize: head.readUInt32LE(22),
    headerLength: LOCAL_HEADER_BYTES + head.readUInt16LE(26) + head.readUInt16LE(28),
  };
}

function checkMethod(method: number): 0 | 8 {
  if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
    throw new ZipError(
      `zip compression method ${method} is not supported (only stored and deflate)`,
    );
  }
  return method;
}

/**
 * Locates the first member from the archive's tail (central directory) and
 * its local header; falls back to the local header alone when the archive has
 * no central directory and the header carries the sizes. The member's name is
 * ignored (§10, §17.5: it can carry server paths).
 */
export function locateFirstMember(
  archiveSize: number,
  tail: Buffer,
  tailOffset: number,
  readLocal: (offset: number) => Buffer,
): MemberLocation {
  let central: ReturnType<typeof parseCentralDirectory> | undefined;
  try {
    central = parseCentralDirectory(tail, tailOffset, archiveSize);
  } catch (error) {
    if (!(error instanceof ZipError) || !error.message.startsWith('not a zip archive')) throw error;
  }
  const localOffset = central?.localOffset ?? 0;
  if (localOffset + LOCAL_HEADER_BYTES > archiveSize)
    throw new ZipError('the zip local header lies outside the archive');
  const local = parseLocalHeader(readLocal(localOffset));
  const dataOffset = localOffset + local.headerLength;
  if (central === undefined) {
    if ((local.flags & FLAG_DATA_DESCRIPTOR) !== 0)
      throw new ZipError(
        'not a zip archive: no central directory and no sizes in the local header',
      );
    central = {
      localOffset,
      method: local.method,
      crc: local.crc,
      compressedSize: local.compressedSize,
      uncompressedSize: local.uncompressedSize,
    };
  }
  if (dataOffset + central.compressedSize > archiveSize)
    throw new ZipError('the zip member data runs past the end of the archive');
  const method = checkMethod(central.method);
  if (method === METHOD_STORED && central.compressedSize !== central.uncompressedSize) {
    throw new ZipError('a stored zip member must have equal compressed and uncompressed sizes');
  }
  return {
    method,
    crc: central.crc >>> 0,
    compressedSize: central.compressedSize,
    uncompressedSize: central.uncompressedSize,
    dataOffset,
  };
}

function capError(maxBytes: number): ZipError {
  return new ZipError(
    `the zip member inflates to more than ${maxBytes} bytes (the limit for downloads)`,
  );
}

/** Extracts the first member of an in-memory archive; enforces CRC and the size cap. */
export function unzipFirstMember(archive: Buffer, maxBytes: number): Buffer {
  const tailOffset = Math.max(0, archive.length - MAX_END_SEARCH);
  const where = locateFirstMember(
    archive.length,
    archive.subarray(tailOffset),
    tailOffset,
    (offset) => archive.subarray(offset, offset + LOCAL_HEADER_BYTES + 2 * 0xffff),
  );
  if (where.uncompressedSize > maxBytes) throw capError(maxBytes);
  const body = archive.subarray(where.dataOffset, where.dataOffset + where.compressedSize);
  let data: Buffer;
  if (where.method === METHOD_STORED) data = body;
  else {
    try {
      data = inflateRawSync(body, { maxOutputLength: Math.max(1, maxBytes) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw capError(maxBytes);
      throw new ZipError(`the zip member's deflate data is corrupt: ${(error as Error).message}`);
    }
  }
  if (data.length > maxBytes) throw capError(maxBytes);
  if (data.length !== where.uncompressedSize)
    throw new ZipError(
      `the zip member inflated to ${data.length} bytes, its header says ${where.uncompressedSize}`,
    );
  if (crc32(data) >>> 0 !== where.crc) throw new ZipError('the zip member fails its CRC-32 check');
  return data;
}

/** Streams the first member of the archive file at `archivePath` into `destPath`, checking CRC and cap. */
export async function extractFirstMember(
  archivePath: string,
  destPath: string,
  maxBytes: number,
): Promise<number> {
  const handle = await open(archivePath, 'r');
  let where: MemberLocation;
  try {
    const archiveSize = (await handle.stat()).size;
    const tailOffset = Math.max(0, archiveSize - MAX_END_SEARCH);
    const tail = Buffer.alloc(archiveSize - tailOffset);
    await handle.read(tail, 0, tail.length, tailOffset);
    // locateFirstMember is synchronous: read the candidate local headers first
    // (offset 0, and the one the central directory names, if any).
    const offsets = new Set([0]);
    try {
      offsets.add(parseCentralDirectory(tail, tailOffset, archiveSize).localOffset);
    } catch {
      // locateFirstMember reports what is wrong with the directory
    }
    const locals = new Map<number, Buffer>();
    for (const offset of offsets) {
      const buf = Buffer.alloc(
        Math.min(LOCAL_HEADER_BYTES + 2 * 0xffff, Math.max(0, archiveSize - offset)),
      );
      await handle.read(buf, 0, buf.length, offset);
      locals.set(offset, buf);
    }
    where = locateFirstMember(
      archiveSize,
      tail,
      tailOffset,
      (offset) => locals.get(offset) ?? Buffer.alloc(0),
    );
  } finally {
    await handle.close();
  }
  if (where.uncompressedSize > maxBytes) throw capError(maxBytes);
  let crc = 0;
  let written = 0;
  const checker = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      written += chunk.length;
      if (written > maxBytes || written > where.uncompressedSize) {
        callback(
          written > maxBytes
            ? capError(maxBytes)
            : new ZipError(
                `the zip member inflates to more than its header's ${where.uncompressedSize} bytes`,
              ),
        );
        return;
      }
      crc = crc32(chunk, crc);
      callback(null, chunk);
    },
  });
  const body: Readable =
    where.compressedSize === 0
      ? Readable.from([])
      : createReadStream(archivePath, {
          start: where.dataOffset,
          end: where.dataOffset + where.compressedSize - 1,
          highWaterMark: 256 * 1024,
        });
  const out = createWriteStream(destPath, { mode: 0o600 });
  try {
    if (where.method === METHOD_DEFLATE) await pipeline(body, createInflateRaw(), checker, out);
    else await pipeline(body, checker, out);
  } catch (error) {
    if (error instanceof ZipError) throw error;
    throw new ZipError(`the zip member's deflate data is corrupt: ${(error as Error).message}`);
  }
  if (written !== where.uncompressedSize)
    throw new ZipError(
      `the zip member inflated to ${written} bytes, its header says ${where.uncompressedSize}`,
    );
  if (crc >>> 0 !== where.crc) throw new ZipError('the zip member fails its CRC-32 check');
  return written;
}
