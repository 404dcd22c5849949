/**
 * Tentacle wire format (tentacle.md §2, §3, §8): the lines a client writes and
 * the replies it parses. Pure: no sockets, no timers.
 */
import { createHash } from 'node:crypto';

/** §2: the server's read buffer; a line (LF included) longer than this is dropped. */
export const MAX_LINE_BYTES = 1024;
export const LF = 0x0a;

export type Verb = 'SEND' | 'ZSEND' | 'RECV' | 'ZRECV' | 'PASS';

/** One server line, as the client understands it (§3 "Robust client parsing"). */
export type Reply =
  | { type: 'ok'; verb: Verb }
  | { type: 'err'; verb: Verb; reason: string }
  | { type: 'size'; verb: 'RECV' | 'ZRECV'; size: number }
  | { type: 'quit' }
  | { type: 'unknown'; line: string };

const VERBS: readonly Verb[] = ['ZSEND', 'ZRECV', 'SEND', 'RECV', 'PASS'];

/** Parses one reply line without its LF. Never throws. */
export function parseReply(line: string): Reply {
  if (line === 'QUIT') return { type: 'quit' };
  for (const verb of VERBS) {
    if (line === `${verb} OK`) return { type: 'ok', verb };
    if (line === `${verb} ERR` || line.startsWith(`${verb} ERR `)) {
      const rest = line.slice(verb.length + 4).trim();
      const reason = rest.startsWith('(') && rest.endsWith(')') ? rest.slice(1, -1) : rest;
      return { type: 'err', verb, reason };
    }
    if ((verb === 'RECV' || verb === 'ZRECV') && line.startsWith(`${verb} SIZE `)) {
      const digits = line.slice(verb.length + 6);
      // Only plain decimal fitting a safe integer; anything else is a protocol failure.
      if (/^\d{1,15}$/.test(digits)) return { type: 'size', verb, size: Number(digits) };
      return { type: 'unknown', line };
    }
  }
  return { type: 'unknown', line };
}

/** §8: lowercase hex of MD5 over the raw 16-byte MD5 of the password bytes. */
export function passwordDigest(password: string): string {
  const inner = createHash('md5').update(password, 'utf8').digest();
  return createHash('md5').update(inner).digest('hex');
}

function line(text: string): Buffer {
  const bytes = Buffer.from(`${text}\n`, 'utf8');
  if (bytes.length > MAX_LINE_BYTES) {
    throw new RangeError(
      `command line of ${bytes.length} bytes exceeds the server's ${MAX_LINE_BYTES}-byte limit (tentacle.md §2)`,
    );
  }
  return bytes;
}

function assertSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new RangeError(`size must be a whole number of bytes, got ${size}`);
}

export const passLine = (password: string): Buffer => line(`PASS ${passwordDigest(password)}`);
export const sendLine = (name: string, size: number): Buffer => (
  assertSize(size),
  line(`SEND <${name}> SIZE ${size}`)
);
export const zsendLine = (name: string, size: number): Buffer => (
  assertSize(size),
  line(`ZSEND <${name}> SIZE ${size}`)
);
export const recvLine = (name: string): Buffer => line(`RECV <${name}>`);
export const zrecvLine = (name: string): Buffer => line(`ZRECV <${name}>`);
/** Accepts a RECV/ZRECV offer (§4.3). */
export const acceptLine = (verb: 'RECV' | 'ZRECV'): Buffer => line(`${verb} OK`);
/** Any other single line declines an offer (§4.3, P19); this one reads as what it means. */
export const declineLine = (verb: 'RECV' | 'ZRECV'): Buffer => line(`${verb} NO`);
export const quitLine = (): Buffer => line('QUIT');

/**
 * Splits incoming bytes into LF-terminated lines. Bytes after a line stay
 * buffered (they may be the start of a RECV payload).
 */
export class LineBuffer {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
  }

  /** The next line without its LF; undefined when none is complete; throws when over the limit. */
  nextLine(): string | undefined {
    const end = this.#pending.indexOf(LF);
    if (end === -1) {
      if (this.#pending.length >= MAX_LINE_BYTES)
        throw new RangeError(`reply longer than ${MAX_LINE_BYTES} bytes without LF`);
      return undefined;
    }
    if (end + 1 > MAX_LINE_BYTES) throw new RangeError(`reply longer than ${MAX_LINE_BYTES} bytes`);
    const text = this.#pending.subarray(0, end).toString('latin1');
    this.#pending = this.#pending.subarray(end + 1);
    return text;
  }

  /** Takes whatever is buffered (raw payload bytes that arrived with a line). */
  take(): Buffer {
    const out = this.#pending;
    this.#pending = Buffer.alloc(0);
    return out;
  }

  get size(): number {
    return this.#pending.length;
  }
}
