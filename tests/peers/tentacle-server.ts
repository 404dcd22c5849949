/**
 * Reference Tentacle server for tests, written from tentacle.md (not from
 * tentacle_server's code). It answers byte for byte as tentacle_server 0.6.2
 * does in ../protocols/vectors/tentacle-transcripts.md, including its silent
 * closes. Left out: LS/MV (insecure mode, §7), relay mode, the -q bug (P28).
 *
 * Differences that a client cannot see: uploads are staged in a temp file
 * (the real server holds them in memory) and renamed into place once
 * complete; without -f a client certificate that fails verification is
 * dropped right after the handshake instead of with alert 48 (Node's TLS
 * server cannot verify an optional certificate during the handshake).
 *
 * Run standalone (bench): node tests/peers/tentacle-server.ts --dir D --port P [--tls-cert F --tls-key F] [--max-size N] [--overwrite]
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

export interface TentacleServerOptions {
  /** Storage directory (-s). */
  dir: string;
  port?: number;
  /** -x */
  password?: string;
  /** -m, default 2,000,000 bytes (§5). */
  maxSize?: number;
  /** -o */
  overwrite?: boolean;
  /** -e/-k (+ -f when caPem is given: client certificate required, §9). */
  tls?: { certPem: string; keyPem: string; caPem?: string };
  /** -t × (-r + 1): ~4 s by default (§12). */
  idleTimeoutMs?: number;
  /** -i: the first matching regex picks a subdirectory (§6). */
  filters?: Array<{ pattern: RegExp; dir: string }>;
  /** Staging area for uploads (outside `dir`). */
  tmpDir?: string;
  /** Keep every byte of every connection in `connections` (default true; the bench turns it off). */
  record?: boolean;
}

/** Consecutive bytes one way; kept as parts so recording stays linear in size. */
export class Segment {
  readonly from: 'client' | 'server';
  readonly parts: Buffer[];

  constructor(from: 'client' | 'server', first: Buffer) {
    this.from = from;
    this.parts = [first];
  }

  get data(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface ConnectionRecord {
  id: number;
  /** The client's address as the server saw it (the `-b` of tentacle_client, §13). */
  remoteAddress: string | undefined;
  segments: Segment[];
  /** Who closed: the server (reply refused, timeout, bad auth) or the client. */
  closedBy?: 'server' | 'client';
  /** Why the server dropped it, like tentacle_server's log line. */
  reason?: string;
  tlsError?: string;
  clientBytes(): Buffer;
  serverBytes(): Buffer;
}

/** §6 default invalid characters. */
const INVALID_CHARS = /[?[\]/\\=+<>:;',*~]/;
const BLOCK_SIZE = 1024;

class Drop extends Error {}

export class TentacleServer {
  readonly options: TentacleServerOptions;
  readonly connections: ConnectionRecord[] = [];
  port = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #staged = new Set<string>();
  /** Called with the bytes of a SEND payload received so far (tests kill the server mid-transfer). */
  onUploadProgress: ((name: string, bytes: number, size: number) => void) | undefined;
  /**
   * A hung tentacle_server: while true, connections keep reading but never
   * write, and stay open until the client gives up (its timeouts, §12).
   */
  stalled = false;

  constructor(options: TentacleServerOptions) {
    this.options = options;
  }

  static async start(options: TentacleServerOptions): Promise<TentacleServer> {
    const server = new TentacleServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  async listen(port: number): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    const tls = this.options.tls;
    const server =
      tls === undefined
        ? createNetServer((socket) => this.#accept(socket))
        : createTlsServer(
            {
              cert: tls.certPem,
              key: tls.keyPem,
              // §9: the server always sends a CertificateRequest; with -f the certificate is mandatory.
              requestCert: true,
              rejectUnauthorized: tls.caPem !== undefined,
              ...(tls.caPem === undefined ? {} : { ca: tls.caPem }),
              minVersion: 'TLSv1.2',
            },
            (socket) => {
              // Without -f an offered certificate must still chain to the default store (S19).
              if (
                tls.caPem === undefined &&
                !socket.authorized &&
                socket.getPeerCertificate().raw !== undefined
              ) {
                const record = this.#record(socket);
                record.closedBy = 'server';
                record.tlsError = String(socket.authorizationError);
                socket.destroy();
                return;
              }
              this.#accept(socket);
            },
          );
    if (tls !== undefined) {
      server.on('tlsClientError', (error, socket) => {
        const record = this.#record(socket);
        record.closedBy = 'server';
        record.tlsError = error.message;
        socket.destroy();
      });
      // Raw sockets of TLS connections count for kill().
      server.on('connection', (socket: Socket) => this.#track(socket));
    }
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Simulates the process dying: every connection dropped, nothing listens any more. */
  async kill(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.#server === undefined ? resolve() : this.#server.close(() => resolve()),
    );
    this.#server = undefined;
    await Promise.all([...this.#staged].map((path) => unlink(path).catch(() => undefined)));
  }

  async stop(): Promise<void> {
    await this.kill();
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #record(socket: Socket): ConnectionRecord {
    const segments: Segment[] = [];
    const record: ConnectionRecord = {
      id: this.connections.length,
      remoteAddress: socket.remoteAddress,
      segments,
      clientBytes: () =>
        Buffer.concat(segments.filter((s) => s.from === 'client').map((s) => s.data)),
      serverBytes: () =>
        Buffer.concat(segments.filter((s) => s.from === 'server').map((s) => s.data)),
    };
    this.connections.push(record);
    return record;
  }

  #accept(socket: Socket | TLSSocket): void {
    this.#track(socket);
    const record = this.#record(socket);
    new TentacleConnection(this, socket, record).run().catch(() => undefined);
  }

  stage(path: string): void {
    this.#staged.add(path);
  }

  unstage(path: string): void {
    this.#staged.delete(path);
  }
}

/** One client session, a blocking-style reader over the socket like the Perl server's. */
class TentacleConnection {
  readonly #server: TentacleServer;
  readonly #socket: Socket;
  readonly #record: ConnectionRecord;
  /** Received, not yet consumed: a list, so large payloads are never re-copied. */
  #chunks: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #wake: (() => void) | undefined;
  #authenticated: boolean;

  constructor(server: TentacleServer, socket: Socket, record: ConnectionRecord) {
    this.#server = server;
    this.#socket = socket;
    this.#record = record;
    this.#authenticated = server.options.password === undefined;
    const keep = server.options.record !== false;
    socket.on('data', (chunk: Buffer) => {
      const last = record.segments.at(-1);
      if (keep && last?.from === 'client') last.parts.push(chunk);
      else if (keep) record.segments.push(new Segment('client', chunk));
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued > 8 * 1024 * 1024) socket.pause();
      this.#notify();
    });
    const ended = (): void => {
      this.#ended = true;
      record.closedBy ??= 'client';
      this.#notify();
    };
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', ended);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** §12: ~4 s without input kills the session. */
  async #wait(): Promise<void> {
    if (this.#ended) throw new Drop('Connection unexpectedly closed');
    const ms = this.#server.options.idleTimeoutMs ?? 4000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#wake = resolve;
        timer = setTimeout(() => reject(new Drop('timed out')), ms);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async #send(text: string | Buffer): Promise<void> {
    if (this.#server.stalled) {
      if (!this.#socket.destroyed)
        await new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
      throw new Drop('stalled until the client gave up');
    }
    const data = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    const last = this.#record.segments.at(-1);
    const keep = this.#server.options.record !== false;
    if (keep && last?.from === 'server') last.parts.push(data);
    else if (keep) this.#record.segments.push(new Segment('server', data));
    return new Promise((resolve) => {
      if (this.#socket.write(data)) resolve();
      else this.#socket.once('drain', () => resolve());
    });
  }

  /** §2: a command is complete when the buffer ends in LF; over 1024 bytes without one is an error. */
  async #command(): Promise<string> {
    for (;;) {
      const last = this.#chunks.at(-1);
      if (last !== undefined && last.length > 0 && last[last.length - 1] === 0x0a) {
        const line = Buffer.concat(this.#chunks).subarray(0, -1).toString('latin1');
        this.#chunks = [];
        this.#queued = 0;
        return line;
      }
      if (this.#queued > BLOCK_SIZE) throw new Drop('Received too much data');
      await this.#wait();
    }
  }

  /** Reads exactly n payload bytes into `sink`; the rest stays as the next command (§4.1). */
  async #payload(
    n: number,
    sink: (chunk: Buffer) => Promise<void>,
    onProgress?: (bytes: number) => void,
  ): Promise<void> {
    let got = 0;
    while (got < n) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) {
        if (this.#socket.isPaused()) this.#socket.resume();
        await this.#wait();
        continue;
      }
      const take = Math.min(n - got, chunk.length);
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
      this.#queued -= take;
      got += take;
      await sink(take === chunk.length ? chunk : chunk.subarray(0, take));
      onProgress?.(got);
      if (this.#socket.isPaused() && this.#queued < 1024 * 1024) this.#socket.resume();
    }
  }

  async run(): Promise<void> {
    try {
      if (!this.#authenticated) {
        const line = await this.#command();
        const match = /^PASS (.*)$/.exec(line);
        if (match === null) throw new Drop('did not authenticate');
        if (match[1] !== digest(this.#server.options.password ?? ''))
          throw new Drop('Invalid password');
        this.#authenticated = true;
        await this.#send('PASS OK\n');
      }
      for (;;) {
        const line = await this.#command();
        let match: RegExpExecArray | null;
        if ((match = /^SEND <(.*)> SIZE (\d+)$/.exec(line)) !== null)
          await this.#recvFile('SEND', match[1]!, Number(match[2]));
        else if ((match = /^ZSEND <(.*)> SIZE (\d+)$/.exec(line)) !== null)
          await this.#recvFile('ZSEND', match[1]!, Number(match[2]));
        else if ((match = /^RECV <(.*)>$/.exec(line)) !== null)
          await this.#sendFile('RECV', match[1]!);
        else if ((match = /^ZRECV <(.*)>$/.exec(line)) !== null)
          await this.#sendFile('ZRECV', match[1]!);
        else if (line === 'QUIT') break;
        else throw new Drop(`Unknown command '${line}'`);
      }
      this.#record.closedBy ??= 'server';
      this.#record.reason = 'Connection closed';
      this.#socket.end();
    } catch (error) {
      if (this.#record.closedBy === undefined) this.#record.closedBy = 'server';
      this.#record.reason = (error as Error).message;
      this.#socket.destroy();
    }
  }

  #directory(name: string): string {
    const filter = this.#server.options.filters?.find((f) => f.pattern.test(name));
    return filter === undefined
      ? this.#server.options.dir
      : join(this.#server.options.dir, filter.dir);
  }

  async #recvFile(verb: 'SEND' | 'ZSEND', name: string, size: number): Promise<void> {
    if (INVALID_CHARS.test(name)) return this.#send(`${verb} ERR (invalid file name)\n`);
    if (size < 1 || size > (this.#server.options.maxSize ?? 2_000_000))
      return this.#send(`${verb} ERR (file is too big)\n`);
    const dir = this.#directory(name);
    const path = join(dir, name);
    if (this.#server.options.overwrite !== true && (await isFile(path)))
      return this.#send(`${verb} ERR (file already exists)\n`);
    await this.#send(`${verb} OK\n`);
    const staged = join(
      this.#server.options.tmpDir ?? tmpdir(),
      `.tentacle-ref-${randomBytes(8).toString('hex')}`,
    );
    this.#server.stage(staged);
    const out = createWriteStream(staged);
    try {
      try {
        await this.#payload(
          size,
          (chunk) => writeTo(out, chunk),
          (bytes) => this.#server.onUploadProgress?.(name, bytes, size),
        );
      } finally {
        await new Promise<void>((resolve) => out.end(() => resolve()));
      }
      // §5: two-argument open strips trailing whitespace; '', '.', '..' and NUL cannot be created (§6).
      const finalPath = join(dir, name.replace(/\s+$/, ''));
      if (
        name === '' ||
        name === '.' ||
        name === '..' ||
        name.includes('\0') ||
        (await isDirectory(finalPath))
      ) {
        throw new Drop(`Cannot open file '${path}' for writing`);
      }
      await mkdir(dir, { recursive: true });
      if (verb === 'ZSEND') {
        const archive = await readFile(staged);
        const content = unzipLikePerl(archive);
        if (content === undefined) return this.#send('ZSEND ERR\n');
        await writeFile(finalPath, content);
      } else {
        await rename(staged, finalPath);
      }
      await this.#send(`${verb} OK\n`);
    } finally {
      await unlink(staged).catch(() => undefined);
      this.#server.unstage(staged);
    }
  }

  async #sendFile(verb: 'RECV' | 'ZRECV', name: string): Promise<void> {
    if (INVALID_CHARS.test(name))
      return this.#send(`${verb} ERR (file has an invalid file name)\n`);
    const path = join(this.#directory(name), name);
    if (!(await isFile(path))) return this.#send(`${verb} ERR (file does not exist)\n`);
    const zip = verb === 'ZRECV' ? zipLikePerl(path, await readFile(path)) : undefined;
    const size = zip?.length ?? (await stat(path)).size;
    await this.#send(`${verb} SIZE ${size}\n`);
    const answer = await this.#command();
    // §4.3/P19: any other line declines; it is consumed and the session goes on.
    if (answer !== `${verb} OK`) return;
    if (size === 0) throw new Drop('Connection unexpectedly closed'); // writing 0 bytes counts as a dead peer (§4.3)
    if (zip !== undefined) {
      await this.#send(zip);
      return;
    }
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }))
      await this.#send(chunk as Buffer);
  }
}

function writeTo(out: WriteStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(chunk)) {
      resolve();
      return;
    }
    const onError = (error: Error): void => {
      out.off('drain', onDrain);
      reject(error);
    };
    const onDrain = (): void => {
      out.off('error', onError);
      resolve();
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export function digest(password: string): string {
  // Written independently of the client's codec on purpose (hex of MD5 of the raw MD5, §8).
  return createHash('md5').update(createHash('md5').update(password).digest()).digest('hex');
}

/**
 * §10 "What the server accepts on ZSEND": the first member whatever its name,
 * stored or deflate, CRC not enforced; a payload that is not a zip is stored
 * verbatim ("transparent" mode); corrupt deflate data → undefined (ZSEND ERR).
 */
export function unzipLikePerl(archive: Buffer): Buffer | undefined {
  if (archive.length < 30 || archive.readUInt32LE(0) !== 0x04034b50) return archive;
  const flags = archive.readUInt16LE(6);
  const method = archive.readUInt16LE(8);
  let compressedSize = archive.readUInt32LE(18);
  const dataStart = 30 + archive.readUInt16LE(26) + archive.readUInt16LE(28);
  if ((flags & 0x08) !== 0 && method === 0) {
    const descriptor = archive.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), dataStart);
    if (descriptor === -1) return undefined;
    compressedSize = descriptor - dataStart;
  }
  if (method === 0) return archive.subarray(dataStart, dataStart + compressedSize);
  if (method !== 8) return undefined;
  try {
    return inflateRawSync(archive.subarray(dataStart));
  } catch {
    return undefined;
  }
}

/** What IO::Compress::Zip produces (§10, P20): data descriptor, UT/ux extras, the full path as member name. */
export function zipLikePerl(memberName: string, data: Buffer, when = new Date()): Buffer {
  const name = Buffer.from(memberName, 'utf8');
  const body = deflateRawSync(data);
  const crc = crc32(data);
  const seconds = Math.floor(when.getTime() / 1000);
  const ut = Buffer.alloc(13);
  ut.write('UT', 0, 'latin1');
  ut.writeUInt16LE(9, 2);
  ut.writeUInt8(3, 4);
  ut.writeUInt32LE(seconds, 5);
  ut.writeUInt32LE(seconds, 9);
  const ux = Buffer.from('75780b000104e70300000400000000', 'hex');
  const extra = Buffer.concat([ut, ux]);
  const time =
    (when.getHours() << 11) | (when.getMinutes() << 5) | Math.floor(when.getSeconds() / 2);
  const day = ((when.getFullYear() - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate();
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0x0008, 6);
  local.writeUInt16LE(8, 8);
  local.writeUInt16LE(time, 10);
  local.writeUInt16LE(day, 12);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(extra.length, 28);
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc, 4);
  descriptor.writeUInt32LE(body.length, 8);
  descriptor.writeUInt32LE(data.length, 12);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(0x0314, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0008, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(time, 12);
  central.writeUInt16LE(day, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt16LE(ut.length - 4 + ux.length, 30);
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  const centralExtra = Buffer.concat([
    Buffer.from([0x55, 0x54, 0x05, 0x00, 0x01]),
    ut.subarray(5, 9),
    ux,
  ]);
  central.writeUInt16LE(centralExtra.length, 30);
  const centralOffset = local.length + name.length + extra.length + body.length + descriptor.length;
  const centralSize = central.length + name.length + centralExtra.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, name, extra, body, descriptor, central, name, centralExtra, end]);
}

/** Standalone mode for the bench: the server in its own process. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i === -1 ? undefined : args[i + 1];
  };
  const certFile = value('--tls-cert');
  const keyFile = value('--tls-key');
  const server = await TentacleServer.start({
    dir: value('--dir') ?? join(tmpdir(), 'tentacle-ref'),
    port: Number(value('--port') ?? 0),
    maxSize: Number(value('--max-size') ?? 2_000_000),
    overwrite: args.includes('--overwrite'),
    record: false,
    ...(certFile !== undefined && keyFile !== undefined
      ? {
          tls: {
            certPem: await readFile(certFile, 'utf8'),
            keyPem: await readFile(keyFile, 'utf8'),
          },
        }
      : {}),
  });
  process.stdout.write(`listening ${server.port}\n`);
  const stop = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
