/**
 * What the agent calls to move files over Tentacle (tentacle.md §4): one
 * session, several files, SEND/ZSEND/RECV/ZRECV then QUIT.
 */
import type { TentacleTransferResult } from '../../contract/tentacle.ts';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { AgentError } from '../../contract/errors.ts';
import {
  acceptLine,
  declineLine,
  parseReply,
  passLine,
  quitLine,
  recvLine,
  sendLine,
  zrecvLine,
  zsendLine,
  type Reply,
} from './codec.ts';
import { assertFileName, baseName } from './names.ts';
import {
  finalReplyTimeoutMs,
  TentacleSession,
  type PeerCertificateInfo,
  type SessionOptions,
} from './session.ts';
import { extractFirstMember, prepareZip, ZipError } from './zip.ts';

/** Private staging folder under the data directory (ZSEND archives, ZRECV downloads). */
export const TENTACLE_TMP_DIR = 'tentacle-tmp';
/** Largest download we accept unless told otherwise (§17.5: the server picks the content). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024;

export interface ClientOptions extends SessionOptions {
  password?: string;
  /** §17.2: the digest is the password in all but name; plain TCP needs this explicit opt-in. */
  allowPlainPassword?: boolean;
  /** Where ZSEND archives and ZRECV downloads are staged. */
  tmpDir?: string;
}

export interface Progress {
  name: string;
  bytes: number;
  total: number;
}

export interface SendOptions {
  /** Name on the server; defaults to the base name of the path. */
  name?: string;
  zip?: boolean;
  onProgress?: (progress: Progress) => void;
}

export interface SendResult {
  name: string;
  bytes: number;
  /** Bytes on the wire (the archive size with zip). */
  wireBytes: number;
}

export interface RecvOptions {
  /** Directory the file lands in, under its own name. */
  dir: string;
  overwrite?: boolean;
  zip?: boolean;
  maxBytes?: number;
  onProgress?: (progress: Progress) => void;
}

export interface RecvResult {
  name: string;
  path: string;
  bytes: number;
}

/** Checks the options that fail before any byte goes out. */
export function checkClientOptions(options: ClientOptions): void {
  if (
    options.password !== undefined &&
    options.tls === undefined &&
    options.allowPlainPassword !== true
  ) {
    throw new AgentError(
      'invalid-request',
      'refusing to send the Tentacle password over plain TCP: anyone on the path could replay it (tentacle.md §8). Use TLS (-c), or allow it explicitly with --allow-plain-password',
      { field: 'password' },
    );
  }
  if ((options.tls?.certPem === undefined) !== (options.tls?.keyPem === undefined)) {
    throw new AgentError(
      'invalid-request',
      'a client certificate (-e) needs its key (-k) and the other way round',
      { field: options.tls?.certPem === undefined ? 'certFile' : 'keyFile' },
    );
  }
}

export class TentacleClient {
  readonly #options: ClientOptions;
  #session: TentacleSession | undefined;

  private constructor(options: ClientOptions) {
    this.#options = options;
  }

  /** Opens a session (and authenticates) at once, so connection errors surface here. */
  static async connect(options: ClientOptions): Promise<TentacleClient> {
    checkClientOptions(options);
    const client = new TentacleClient(options);
    await client.#ensureSession();
    return client;
  }

  get peerCertificate(): PeerCertificateInfo | undefined {
    return this.#session?.peerCertificate;
  }

  get tlsVersion(): string | undefined {
    return this.#session?.tlsVersion;
  }

  async #ensureSession(): Promise<TentacleSession> {
    if (this.#session !== undefined && !this.#session.closed) return this.#session;
    // A RECV of an empty file ends the session on the server's side (§4.3): reconnect.
    const session = await TentacleSession.open(this.#options);
    try {
      if (this.#options.password !== undefined) {
        await session.writeLine(passLine(this.#options.password));
        const reply = parseReply(await session.readLine());
        if (reply.type !== 'ok' || reply.verb !== 'PASS') throw unexpected(session, reply, 'PASS');
      }
    } catch (error) {
      session.destroy();
      throw error;
    }
    this.#session = session;
    return session;
  }

  /** SEND (or ZSEND) one file; resolves on the server's final OK only (§4.1). */
  async send(path: string, options: SendOptions = {}): Promise<SendResult> {
    const name = assertFileName(options.name ?? baseName(path), 'fileName');
    const info = await stat(path).catch((error: unknown) => {
      throw new AgentError('not-found', `cannot read '${path}': ${(error as Error).message}`, {
        field: 'file',
        cause: error,
      });
    });
    if (!info.isFile())
      throw new AgentError('invalid-request', `'${path}' is not a regular file`, { field: 'file' });
    if (info.size === 0 && options.zip !== true) {
      // §4.1/S06: the server refuses SIZE 0 ("file is too big").
      throw new AgentError(
        'refused',
        `'${name}' is empty: a Tentacle server refuses empty files (send it compressed with -z, or add content)`,
        { field: 'file' },
      );
    }
    const verb = options.zip === true ? 'ZSEND' : 'SEND';
    if (options.zip === true && this.#options.tmpDir !== undefined)
      await mkdir(this.#options.tmpDir, { recursive: true, mode: 0o700 });
    const zip =
      options.zip === true
        ? await prepareZip(
            path,
            name,
            join(
              this.#options.tmpDir ?? tmpdir(),
              `.outpost-zsend-${randomBytes(6).toString('hex')}.zip`,
            ),
          )
        : undefined;
    const wireBytes = zip?.size ?? info.size;
    try {
      const session = await this.#ensureSession();
      await session.writeLine(
        verb === 'SEND' ? sendLine(name, wireBytes) : zsendLine(name, wireBytes),
      );
      const first = parseReply(await session.readLine());
      if (first.type !== 'ok' || first.verb !== verb) throw unexpected(session, first, verb, name);
      const report = (bytes: number): void =>
        options.onProgress?.({ name, bytes, total: wireBytes });
      try {
        await session.sendPayload(zip === undefined ? path : zip.stream(), wireBytes, report);
      } catch (error) {
        // Half a payload leaves the server waiting for bytes (§4.1): this session is over.
        session.destroy();
        throw error;
      }
      let final: Reply;
      try {
        final = parseReply(
          await session.readLine(
            // §12: writing (and inflating) the file takes time; a longer idle timeout still applies.
            Math.max(finalReplyTimeoutMs(wireBytes), session.idleTimeoutMs),
            `for it to confirm '${name}'`,
          ),
        );
      } catch (error) {
        if (error instanceof AgentError && error.code === 'unreachable') {
          // §4.1: a server that cannot create the file closes without the second OK.
          throw new AgentError(
            'unreachable',
            `Tentacle server ${session.address} took all ${wireBytes} bytes of '${name}' but closed the connection without confirming: the file is not stored (${error.message})`,
            { transient: true, cause: error },
          );
        }
        throw error;
      }
      if (final.type !== 'ok' || final.verb !== verb) throw unexpected(session, final, verb, name);
      return { name, bytes: info.size, wireBytes };
    } finally {
      await zip?.cleanup();
    }
  }

  /** RECV (or ZRECV) one file into `options.dir` through a temporary file (§4.3, §17.5). */
  async recv(remoteName: string, options: RecvOptions): Promise<RecvResult> {
    const name = assertFileName(remoteName, 'name');
    const dest = join(options.dir, name);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
    if (options.overwrite !== true && (await exists(dest))) {
      throw new AgentError(
        'conflict',
        `'${dest}' already exists: remove it or ask to overwrite (--overwrite)`,
        { field: 'name' },
      );
    }
    const verb = options.zip === true ? 'ZRECV' : 'RECV';
    const session = await this.#ensureSession();
    await session.writeLine(verb === 'RECV' ? recvLine(name) : zrecvLine(name));
    const offer = parseReply(await session.readLine());
    if (offer.type !== 'size' || offer.verb !== verb) throw unexpected(session, offer, verb, name);
    // For ZRECV the archive may be a little larger than what it inflates to.
    const archiveCap = verb === 'ZRECV' ? maxBytes + 1024 * 1024 : maxBytes;
    if (offer.size > archiveCap) {
      await session.writeLine(declineLine(verb));
      throw new AgentError(
        'refused',
        `'${name}' on the server is ${offer.size} bytes, more than the ${maxBytes}-byte download limit: declined`,
        { field: 'maxBytes' },
      );
    }
    const stamp = `${process.pid}.${randomBytes(6).toString('hex')}`;
    const part = join(options.dir, `.${name}.${stamp}.part`);
    const archive =
      verb === 'ZRECV'
        ? join(this.#options.tmpDir ?? options.dir, `.${name}.${stamp}.zip`)
        : undefined;
    const staging = archive ?? part;
    try {
      if (archive !== undefined)
        await mkdir(this.#options.tmpDir ?? options.dir, { recursive: true, mode: 0o700 }).catch(
          () => undefined,
        );
      // Opened before RECV OK: a local problem must not leave the server's data unread.
      const handle = await open(staging, 'wx', 0o600).catch(async (error: unknown) => {
        await session.writeLine(declineLine(verb));
        throw new AgentError(
          'io',
          `cannot write into '${options.dir}': ${(error as Error).message}`,
          { field: 'dir', cause: error },
        );
      });
      // A write stream lets disk writes overlap with socket reads; drain keeps memory flat.
      // A plain fs write stream on the fd with a 1 MiB buffer: measured 1.3–1.9× the
      // FileHandle stream (promise writes, 16 KiB buffer) on a 200 MiB download.
      const out = createWriteStream('', {
        fd: handle.fd,
        autoClose: false,
        highWaterMark: 1024 * 1024,
      });
      let writeError: Error | undefined;
      out.on('error', (error) => (writeError ??= error));
      const sink = async (chunk: Buffer): Promise<void> => {
        if (writeError !== undefined) throw writeError;
        if (!out.write(chunk)) await once(out, 'drain');
      };
      try {
        await session.writeLine(acceptLine(verb));
        await session.readPayload(offer.size, sink, (bytes) =>
          options.onProgress?.({ name, bytes, total: offer.size }),
        );
      } catch (error) {
        // The rest of the payload is still on its way (§4.3): this session is over.
        session.destroy();
        throw error;
      } finally {
        // An error is already in writeError; either way the file is closed before it moves.
        out.end();
        await finished(out).catch(() => undefined);
        await handle.close();
      }
      if (writeError !== undefined)
        throw new AgentError('io', `cannot write '${staging}': ${writeError.message}`, {
          cause: writeError,
        });
      if (offer.size === 0) {
        // §4.3: the server closes after an empty payload; the file still counts as received.
        session.destroy();
      }
      let bytes = offer.size;
      if (archive !== undefined) {
        try {
          bytes = await extractFirstMember(archive, part, maxBytes);
        } catch (error) {
          if (error instanceof ZipError) {
            throw new AgentError(
              'protocol',
              `the compressed '${name}' from ${session.address} is not usable: ${error.message}`,
              { cause: error },
            );
          }
          throw error;
        }
      }
      await commit(part, dest, options.overwrite === true);
      return { name, path: dest, bytes };
    } finally {
      await unlink(part).catch(() => undefined);
      if (archive !== undefined) await unlink(archive).catch(() => undefined);
    }
  }

  /** QUIT and close (§4.5). */
  async quit(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session === undefined || session.closed) {
      session?.destroy();
      return;
    }
    try {
      await session.writeLine(quitLine());
      await session.end();
    } catch {
      session.destroy();
    }
  }

  /** Drops the connection without QUIT (after an error). */
  close(): void {
    this.#session?.destroy();
    this.#session = undefined;
  }
}

/**
 * `SEND ERR (file already exists)` (§4.1): permanent for a new file, but a
 * resent one was most likely stored by an attempt whose final OK was lost
 * (pandora-remote-config.md §14.3): the driver tells the two apart.
 */
export class FileExistsError extends AgentError {}

function unexpected(
  session: TentacleSession,
  reply: Reply,
  verb: string,
  name?: string,
): AgentError {
  const subject = name === undefined ? '' : ` '${name}'`;
  if (reply.type === 'err') {
    const reason = reply.reason === '' ? 'no reason given' : reply.reason;
    if (reason.includes('does not exist')) {
      return new AgentError(
        'not-found',
        `Tentacle server ${session.address} has no file${subject}`,
        { field: 'name' },
      );
    }
    if (reason.includes('already exists')) {
      return new FileExistsError(
        'refused',
        `Tentacle server ${session.address} refused${subject}: a file with that name already exists there (the server does not overwrite unless started with -o)`,
        { field: 'fileName' },
      );
    }
    if (reason.includes('too big')) {
      return new AgentError(
        'refused',
        `Tentacle server ${session.address} refused${subject}: the file is too big for its size limit (tentacle_server -m)`,
        { field: 'file' },
      );
    }
    if (reason.includes('invalid file name')) {
      return new AgentError(
        'refused',
        `Tentacle server ${session.address} refused the name${subject}: it considers it invalid (its invalid_chars setting is stricter than the default)`,
        { field: 'fileName' },
      );
    }
    if (verb === 'ZSEND') {
      return new AgentError(
        'refused',
        `Tentacle server ${session.address} could not decompress${subject} (ZSEND ERR): send it without -z`,
        { field: 'zip' },
      );
    }
    return new AgentError(
      'refused',
      `Tentacle server ${session.address} refused ${verb}${subject}: ${reason}`,
    );
  }
  const text =
    reply.type === 'unknown' ? reply.line : reply.type === 'quit' ? 'QUIT' : JSON.stringify(reply);
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new AgentError(
    'protocol',
    `Tentacle server ${session.address} answered ${verb}${subject} with '${shown}', which is not a Tentacle reply`,
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Moves the finished temporary file into place; without overwrite, never replaces a file that appeared meanwhile. */
async function commit(part: string, dest: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(part, dest);
    return;
  }
  try {
    await link(part, dest);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new AgentError('conflict', `'${dest}' appeared while downloading: not overwritten`, {
        field: 'name',
      });
    }
    throw error;
  }
}

/** What a TLS session showed of the server, for the UIs. */
export function tlsInfo(client: TentacleClient): TentacleTransferResult['tls'] {
  const peer = client.peerCertificate;
  if (client.tlsVersion === undefined || peer === undefined) return undefined;
  return {
    version: client.tlsVersion,
    peerSubject: peer.subject,
    peerIssuer: peer.issuer,
    fingerprint256: peer.fingerprint256,
  };
}
