/**
 * A small streaming tar reader for PROCESSCOPY `type: archive` (gorgone.md §8:
 * the central runs `tar -czf X -C <dir> .`, GNU tar's default format, and sends
 * the tar.gz in chunks). Pure: bytes in, typed events out, no filesystem, so
 * the property tests can feed it anything.
 *
 * It understands ustar headers (name + prefix), GNU long names ('L', and 'K'
 * which only accompanies links) and pax `path`/`size`/`mtime` records ('x';
 * global 'g' headers are skipped). It yields regular files and directories
 * only: links, devices, FIFOs and every other entry type refuse the whole
 * archive, as do absolute paths and any `..` component. Paths come out
 * normalised ('' is the archive's own root `./`), so a consumer that joins them
 * below its folder cannot leave it.
 */
import { AgentError } from '../../contract/errors.ts';

/** Default cap on the unpacked tar stream (contents, headers and padding). */
export const DEFAULT_MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;
/** Default cap on files + directories (an engine + broker config push is a few dozen). */
export const DEFAULT_MAX_ARCHIVE_ENTRIES = 10_000;
/**
 * 'L', 'K', 'x' and 'g' payloads: a Linux path is at most 4096 bytes and the
 * pax records GNU tar writes are far below this; anything bigger is refused
 * rather than buffered.
 */
export const MAX_METADATA_BYTES = 64 * 1024;

const BLOCK = 512;

export interface TarLimits {
  /** The unpacked stream may not exceed this many bytes (zip-bomb guard). */
  maxBytes: number;
  /** Files + directories, the archive's own `./` included. */
  maxEntries: number;
}

export interface TarEntry {
  kind: 'file' | 'directory';
  /** Normalised, '/'-separated, relative; '' for the archive's root (`./`). */
  path: string;
  /** The name as the archive spells it, for messages. */
  name: string;
  /** Permission bits only: setuid, setgid and sticky are dropped. */
  mode: number;
  /** Bytes of content (0 for a directory). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
}

export type TarEvent =
  { type: 'entry'; entry: TarEntry } | { type: 'data'; bytes: Uint8Array } | { type: 'entry-end' };

/** A refusal of the archive's content (policy), as opposed to a corrupt stream. */
function refused(message: string): AgentError {
  return new AgentError('refused', message);
}

function corrupt(message: string): AgentError {
  return new AgentError('protocol', `the archive is corrupt or not a tar archive: ${message}`);
}

/** Pulls exact byte counts out of an async chunk source, counting what it consumed. */
class ByteSource {
  readonly #iterator: AsyncIterator<Uint8Array>;
  #buffer: Uint8Array = new Uint8Array(0);
  #position = 0;
  consumed = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  get #available(): number {
    return this.#buffer.length - this.#position;
  }

  async #fill(): Promise<boolean> {
    for (;;) {
      const next = await this.#iterator.next();
      if (next.done === true) return false;
      const chunk = next.value;
      if (chunk.length === 0) continue;
      if (this.#available === 0) {
        this.#buffer = chunk;
      } else {
        const merged = new Uint8Array(this.#available + chunk.length);
        merged.set(this.#buffer.subarray(this.#position));
        merged.set(chunk, this.#available);
        this.#buffer = merged;
      }
      this.#position = 0;
      return true;
    }
  }

  /** Exactly n bytes, or undefined at a clean end of input (nothing left). */
  async exact(n: number): Promise<Uint8Array | undefined> {
    while (this.#available < n) {
      if (!(await this.#fill())) {
        if (this.#available === 0) return undefined;
        throw corrupt(`it ends in the middle of a block (offset ${this.consumed})`);
      }
    }
    const out = this.#buffer.subarray(this.#position, this.#position + n);
    this.#position += n;
    this.consumed += n;
    return out;
  }

  /** n bytes as they arrive, without copying them together. */
  async *pieces(n: number, what: string): AsyncGenerator<Uint8Array> {
    let remaining = n;
    while (remaining > 0) {
      if (this.#available === 0 && !(await this.#fill())) {
        throw corrupt(`it ends inside ${what}`);
      }
      const take = Math.min(remaining, this.#available);
      const out = this.#buffer.subarray(this.#position, this.#position + take);
      this.#position += take;
      this.consumed += take;
      remaining -= take;
      yield out;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _piece of this.pieces(n, what));
  }

  async close(): Promise<void> {
    await this.#iterator.return?.();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array, what: string): string {
  const end = bytes.indexOf(0);
  try {
    return utf8.decode(end === -1 ? bytes : bytes.subarray(0, end));
  } catch {
    throw refused(`archive ${what} is not valid UTF-8 → refused`);
  }
}

/** ustar numeric field: octal text, or GNU base-256 when the high bit is set. */
function numberField(bytes: Uint8Array, what: string): number {
  if ((bytes[0]! & 0x80) !== 0) {
    if (bytes[0] === 0xff) throw corrupt(`negative ${what}`);
    let value = bytes[0]! & 0x7f;
    for (const byte of bytes.subarray(1)) {
      value = value * 256 + byte;
      if (value > Number.MAX_SAFE_INTEGER) throw corrupt(`${what} too large`);
    }
    return value;
  }
  const end = bytes.indexOf(0);
  const digits = Buffer.from(end === -1 ? bytes : bytes.subarray(0, end))
    .toString('latin1')
    .trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw corrupt(`${what} is not an octal number`);
  return parseInt(digits, 8);
}

function isZeroBlock(block: Uint8Array): boolean {
  return block.every((b) => b === 0);
}

/** The header checksum: the sum of its bytes with the checksum field read as spaces. */
function checksumMatches(block: Uint8Array): boolean {
  const stored = numberField(block.subarray(148, 156), 'header checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return stored === unsigned || stored === signed;
}

const MAGIC_POSIX = 'ustar\u000000';
const MAGIC_GNU = 'ustar  \u0000';

/** pax extended header records: `<len> <key>=<value>\n` (POSIX.1-2001). */
function paxRecords(data: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break; // some writers pad with NULs
    const space = data.indexOf(0x20, at);
    const lengthText = space === -1 ? '' : Buffer.from(data.subarray(at, space)).toString('latin1');
    if (!/^[0-9]{1,6}$/.test(lengthText)) throw corrupt('bad pax header record length');
    const length = Number(lengthText);
    const end = at + length;
    if (length <= lengthText.length + 1 || end > data.length || data[end - 1] !== 0x0a) {
      throw corrupt('bad pax header record');
    }
    const record = data.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw corrupt('pax header record without key=value');
    const key = Buffer.from(record.subarray(0, equals)).toString('latin1');
    let value: string;
    try {
      value = utf8.decode(record.subarray(equals + 1));
    } catch {
      throw refused(`archive pax record '${key}' is not valid UTF-8 → refused`);
    }
    records.set(key, value);
    at = end;
  }
  return records;
}

/**
 * The entry's path below the destination, or a refusal. `./a//b/` → `a/b`;
 * `/a`, `C:a`, `\a`, any `..` component and backslashes (a separator on
 * Windows) are refused.
 */
export function normaliseEntryPath(name: string): string {
  if (name.includes('\0')) throw refused(`archive entry '${name}' contains a NUL byte → refused`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    throw refused(`archive entry '${name}' is an absolute path → refused`);
  }
  if (name.includes('\\')) {
    throw refused(`archive entry '${name}' contains a backslash → refused`);
  }
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw refused(`archive entry '${name}' escapes the destination`);
  return parts.join('/');
}

const REFUSED_TYPES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symlink',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
};

/**
 * Reads a tar stream and yields, per regular file or directory, an `entry`
 * event, its content as `data` events, then `entry-end`. Stops at the first
 * all-zero block (end of archive). Throws an AgentError ('refused' for
 * content the policy refuses, 'protocol' for a corrupt stream) — before or
 * in the middle of the events, so a consumer that must not write anything of a
 * bad archive reads it to the end once before writing.
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  limits: TarLimits,
): AsyncGenerator<TarEvent, void, undefined> {
  const input = new ByteSource(source);
  let entries = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();

  const budget = (extra: number, what: string): void => {
    if (input.consumed + extra > limits.maxBytes) {
      throw refused(
        `archive unpacks to more than ${limits.maxBytes} bytes${what} → refused (processcopy.maxArchiveBytes)`,
      );
    }
  };

  try {
    for (;;) {
      budget(BLOCK, '');
      const block = await input.exact(BLOCK);
      if (block === undefined || isZeroBlock(block)) return; // end of archive
      const headerAt = input.consumed - BLOCK;
      if (!checksumMatches(block)) throw corrupt(`bad header checksum at offset ${headerAt}`);
      const magic = Buffer.from(block.subarray(257, 265)).toString('latin1');
      if (magic !== MAGIC_POSIX && magic !== MAGIC_GNU) {
        throw corrupt(`no ustar magic in the header at offset ${headerAt}`);
      }
      const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
      const declaredSize = numberField(block.subarray(124, 136), 'entry size');
      const headerName = text(block.subarray(0, 100), `entry name at offset ${headerAt}`);
      const prefix =
        magic === MAGIC_POSIX
          ? text(block.subarray(345, 500), `name prefix at offset ${headerAt}`)
          : '';
      const padded = Math.ceil(declaredSize / BLOCK) * BLOCK;

      if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
        if (declaredSize > MAX_METADATA_BYTES) {
          throw refused(
            `archive metadata header '${typeflag}' at offset ${headerAt} holds ${declaredSize} bytes (more than ${MAX_METADATA_BYTES}) → refused`,
          );
        }
        budget(padded, '');
        const data = (await input.exact(padded)) ?? new Uint8Array(0);
        if (data.length < padded) throw corrupt(`it ends inside a metadata header`);
        const payload = data.subarray(0, declaredSize);
        if (typeflag === 'L') longName = text(payload, 'long name');
        else if (typeflag === 'K') longLink = text(payload, 'long link name');
        else if (typeflag === 'x') pax = paxRecords(payload);
        else paxRecords(payload); // global header: checked, not applied
        continue;
      }

      const name =
        pax.get('path') ?? longName ?? (prefix === '' ? headerName : `${prefix}/${headerName}`);
      const paxSize = pax.get('size');
      const size = paxSize === undefined ? declaredSize : Number(paxSize);
      if (!Number.isSafeInteger(size) || size < 0) throw corrupt(`bad size for '${name}'`);
      const paxMtime = Number(pax.get('mtime'));
      const mtime = Number.isFinite(paxMtime)
        ? Math.floor(paxMtime)
        : numberField(block.subarray(136, 148), 'modification time');
      const linkTarget =
        pax.get('linkpath') ?? longLink ?? text(block.subarray(157, 257), 'link name');
      longName = undefined;
      longLink = undefined;
      pax = new Map();

      const refusedType = REFUSED_TYPES[typeflag];
      if (refusedType !== undefined) {
        const to = typeflag === '1' || typeflag === '2' ? ` → '${linkTarget}'` : '';
        throw refused(`archive holds ${refusedType} '${name}'${to} → refused`);
      }
      const kind =
        typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : undefined;
      if (kind === undefined) {
        throw refused(`archive entry '${name}' has the unsupported type '${typeflag}' → refused`);
      }
      const path = normaliseEntryPath(name);
      entries += 1;
      if (entries > limits.maxEntries) {
        throw refused(
          `archive holds more than ${limits.maxEntries} entries → refused (processcopy.maxArchiveEntries)`,
        );
      }
      const dataPadded = Math.ceil(size / BLOCK) * BLOCK;
      budget(dataPadded, ` ('${name}' alone holds ${size} bytes)`);
      const mode = numberField(block.subarray(100, 108), 'mode') & 0o777;
      if (kind === 'directory') {
        // A directory's data (GNU dumpdir, pax says ignore) is skipped.
        yield { type: 'entry', entry: { kind, path, name, mode, size: 0, mtime } };
        await input.skip(dataPadded, `the directory '${name}'`);
        yield { type: 'entry-end' };
        continue;
      }
      yield { type: 'entry', entry: { kind, path, name, mode, size, mtime } };
      for await (const bytes of input.pieces(size, `the file '${name}'`)) {
        yield { type: 'data', bytes };
      }
      await input.skip(dataPadded - size, `the file '${name}'`);
      yield { type: 'entry-end' };
    }
  } finally {
    await input.close();
  }
}
