/**
 * One Tentacle connection (tentacle.md §1): TCP, optionally through an HTTP
 * CONNECT proxy (§11), TLS from the first byte when configured (§9), then
 * strict lock-step lines (§2). Translates the server's silences into errors a
 * person can act on (§17.3).
 */
import { open } from 'node:fs/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AgentError } from '../../contract/errors.ts';
import { LineBuffer, MAX_LINE_BYTES } from './codec.ts';

/** §12: nothing in the protocol bounds a TCP connect; long enough for a slow WAN. */
export const CONNECT_TIMEOUT_MS = 15_000;
/**
 * §12: how long the peer may stay silent once the TCP connection is up: the
 * proxy's answer to CONNECT (§11), the TLS handshake (§9), a reply, payload
 * bytes not moving. The server answers a command at once or drops the session
 * after ~4 s of silence, so waiting much longer only delays the error.
 * `SessionOptions.idleTimeoutMs` (tentacle_client's -t × (-r + 1)) replaces it.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 15_000;
/**
 * §12: the final SEND OK/ZSEND OK only comes after the server has written
 * (and for ZSEND inflated) the whole file: 30 s plus 1 s per 8 MiB.
 */
export const FINAL_REPLY_BASE_MS = 30_000;
export const FINAL_REPLY_MS_PER_MIB = 125;
/** Incoming bytes we buffer before pausing the socket (flat memory for RECV). */
const READ_HIGH_WATER = 4 * 1024 * 1024;
/** Uploads read the file in chunks this large (low per-chunk overhead at loopback speed)… */
const UPLOAD_CHUNK_BYTES = 256 * 1024;
/** …into this many reused buffers. */
const UPLOAD_BUFFERS = 4;

export function finalReplyTimeoutMs(bytes: number): number {
  return FINAL_REPLY_BASE_MS + Math.ceil(bytes / (1024 * 1024)) * FINAL_REPLY_MS_PER_MIB;
}

export interface TlsOptions {
  /** PEM CA bundle that replaces the system store for verifying the server. */
  caPem?: string | Buffer;
  /** Client certificate chain + key (PEM), with the key's passphrase if encrypted. */
  certPem?: string | Buffer;
  keyPem?: string | Buffer;
  passphrase?: string;
  /** Explicit opt-in: accept any server certificate (tentacle_client -c behaviour, §17.1). */
  insecure?: boolean;
}

export interface ProxyOptions {
  host: string;
  port: number;
  user?: string;
  password?: string;
}

export interface SessionOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
  proxy?: ProxyOptions;
  /** tentacle_client -b: the local address of the TCP socket (the one to the proxy when there is one). */
  localAddress?: string;
  /** Replaces DEFAULT_IDLE_TIMEOUT_MS (tentacle_client's -t × (-r + 1), §12). */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

/** What the server's certificate looked like, for messages and status. */
export interface PeerCertificateInfo {
  subject: string;
  issuer: string;
  fingerprint256: string;
  validTo: string;
}

type Phase = 'connect' | 'proxy' | 'tls' | 'ready' | 'closed';

const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** OpenSSL alerts the server sends when it refuses our client certificate (§9: 116, 48, 42, 45…). */
function isClientCertAlert(code: string | undefined): boolean {
  return (
    code !== undefined &&
    /^ERR_SSL_(TLSV13_ALERT_CERTIFICATE_REQUIRED|(SSLV3|TLSV1)_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE))$/.test(
      code,
    )
  );
}

function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whole seconds as such ("2 s"), anything else with one decimal ("0.5 s"). */
function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export class TentacleSession {
  readonly address: string;
  readonly #options: SessionOptions;
  #socket!: Socket | TLSSocket;
  #phase: Phase = 'connect';
  readonly #lines = new LineBuffer();
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  /** Server bytes seen since the TLS handshake (a close before any means authentication trouble). */
  #serverBytes = 0;
  #tlsVersion: string | undefined;
  #peer: PeerCertificateInfo | undefined;
  /** The last command written, for turning a silent close into a reason (§8, §9). */
  #lastCommand = '';

  private constructor(options: SessionOptions) {
    this.#options = options;
    this.address = formatAddress(options.host, options.port);
  }

  static async open(options: SessionOptions): Promise<TentacleSession> {
    const session = new TentacleSession(options);
    await session.#connect();
    return session;
  }

  get tlsVersion(): string | undefined {
    return this.#tlsVersion;
  }

  get peerCertificate(): PeerCertificateInfo | undefined {
    return this.#peer;
  }

  /** How long the peer may stay silent (§12). */
  get idleTimeoutMs(): number {
    return this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  }

  get closed(): boolean {
    return this.#phase === 'closed' || this.#ended || this.#error !== undefined;
  }

  async #connect(): Promise<void> {
    const { proxy, host, port, localAddress } = this.#options;
    const first = proxy ?? { host, port };
    const raw = await this.#withTimeout(
      new Promise<Socket>((resolve, reject) => {
        const socket = netConnect({
          host: first.host,
          port: first.port,
          // A name resolves in the family of the bound address (as IO::Socket::INET with LocalAddr).
          ...(localAddress === undefined
            ? {}
            : { localAddress, family: isIP(localAddress) === 6 ? 6 : 4 }),
        });
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(socket);
        });
        socket.once('error', reject);
        this.#onAbort(() => socket.destroy());
      }),
      CONNECT_TIMEOUT_MS,
      `timed out after ${seconds(CONNECT_TIMEOUT_MS)} connecting to ${proxy === undefined ? 'Tentacle server' : 'proxy'} ${formatAddress(first.host, first.port)}`,
    ).catch((error: unknown) => {
      throw this.#connectError(error, first, proxy !== undefined);
    });
    raw.setNoDelay(true);
    if (proxy !== undefined) {
      this.#phase = 'proxy';
      await this.#proxyConnect(raw, proxy);
    }
    if (this.#options.tls !== undefined) {
      this.#phase = 'tls';
      this.#socket = await this.#tlsHandshake(raw, this.#options.tls);
    } else {
      this.#socket = raw;
    }
    this.#attach();
    this.#phase = 'ready';
  }

  #connectError(
    error: unknown,
    where: { host: string; port: number },
    viaProxy: boolean,
  ): AgentError {
    if (error instanceof AgentError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    const what = `${viaProxy ? 'proxy' : 'Tentacle server'} ${formatAddress(where.host, where.port)}`;
    const local = this.#options.localAddress;
    if (local !== undefined && code === 'EADDRNOTAVAIL') {
      // Transient: the address may come with an interface that is not up yet (VPN, Wi-Fi).
      return new AgentError(
        'unreachable',
        `cannot connect to ${what} from local address ${local} (-b): it is not an address of this machine (or its interface is down); check the address with 'ip addr' / 'ipconfig'`,
        { field: 'bindAddress', transient: true, cause: error },
      );
    }
    if (local !== undefined && (code === 'EINVAL' || code === 'EAFNOSUPPORT')) {
      return new AgentError(
        'invalid-request',
        `cannot connect to ${what} from local address ${local} (-b): an IPv${isIP(local)} address cannot reach an IPv${isIP(local) === 6 ? 4 : 6} one; bind to a local address of the server's family`,
        { field: 'bindAddress', cause: error },
      );
    }
    if (local !== undefined && code === 'EADDRINUSE') {
      return new AgentError(
        'unreachable',
        `cannot connect to ${what} from local address ${local} (-b): no free local port on that address`,
        { field: 'bindAddress', transient: true, cause: error },
      );
    }
    if (code === 'ECONNREFUSED') {
      return new AgentError(
        'unreachable',
        `${what} refused the connection: is ${viaProxy ? 'the proxy' : 'tentacle_server'} running and listening on that port?`,
        { transient: true, cause: error },
      );
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new AgentError(
        'unreachable',
        `cannot resolve the host name of ${what}${local === undefined ? '' : ` to an IPv${isIP(local)} address (the family of -b ${local})`}: check the address`,
        { transient: true, cause: error },
      );
    }
    return new AgentError('unreachable', `cannot connect to ${what}: ${(error as Error).message}`, {
      transient: true,
      cause: error,
    });
  }

  /** §11: `CONNECT host:port HTTP/1.0`, optional Basic credentials, then a `200` status line. */
  async #proxyConnect(socket: Socket, proxy: ProxyOptions): Promise<void> {
    const target = formatAddress(this.#options.host, this.#options.port);
    let request = `CONNECT ${target} HTTP/1.0\r\n`;
    if (proxy.user !== undefined) {
      const credentials = Buffer.from(`${proxy.user}:${proxy.password ?? ''}`, 'utf8').toString(
        'base64',
      );
      request += `Proxy-Authorization: Basic ${credentials}\r\n`;
    }
    socket.write(`${request}\r\n`);
    const response = await this.#withTimeout(
      new Promise<string>((resolve, reject) => {
        let got = Buffer.alloc(0);
        const onData = (chunk: Buffer): void => {
          got = Buffer.concat([got, chunk]);
          const end = got.indexOf('\r\n\r\n');
          if (end !== -1) {
            cleanup();
            // The tunnel starts right after the blank line; the server never speaks first (§1).
            if (got.length > end + 4) socket.unshift(got.subarray(end + 4));
            resolve(got.subarray(0, end).toString('latin1'));
          } else if (got.length > 8192) {
            cleanup();
            reject(
              new AgentError(
                'protocol',
                `proxy ${formatAddress(proxy.host, proxy.port)} sent an over-long response to CONNECT`,
              ),
            );
          }
        };
        const onEnd = (): void => {
          cleanup();
          const status = got.toString('latin1').split('\r\n')[0] ?? '';
          reject(
            new AgentError(
              'unreachable',
              `proxy ${formatAddress(proxy.host, proxy.port)} closed the connection${status === '' ? '' : ` after '${status}'`}`,
              { transient: true },
            ),
          );
        };
        const onError = (error: Error): void => {
          cleanup();
          reject(
            new AgentError(
              'unreachable',
              `proxy ${formatAddress(proxy.host, proxy.port)}: ${error.message}`,
              { transient: true, cause: error },
            ),
          );
        };
        const cleanup = (): void => {
          socket.off('data', onData);
          socket.off('end', onEnd);
          socket.off('error', onError);
          socket.pause();
        };
        socket.on('data', onData);
        socket.once('end', onEnd);
        socket.once('error', onError);
      }),
      this.idleTimeoutMs,
      `proxy ${formatAddress(proxy.host, proxy.port)} stopped answering for ${seconds(this.idleTimeoutMs)} while we waited for its answer to CONNECT`,
    ).catch((error: unknown) => {
      socket.destroy();
      throw error;
    });
    const status = response.split('\r\n')[0] ?? '';
    if (!/^HTTP\/\d(\.\d)? 200( |$)/.test(status)) {
      socket.destroy();
      const code = Number(/^HTTP\/\S+ (\d{3})/.exec(status)?.[1] ?? 0);
      if (code === 407) {
        throw new AgentError(
          'unauthorized',
          `proxy ${formatAddress(proxy.host, proxy.port)} refused the credentials: '${status}'. Check the proxy user and password`,
        );
      }
      throw new AgentError(
        code >= 500 ? 'unreachable' : 'refused',
        `proxy ${formatAddress(proxy.host, proxy.port)} refused to open a tunnel to ${target}: '${status}'`,
        { transient: code >= 500 },
      );
    }
  }

  async #tlsHandshake(raw: Socket, options: TlsOptions): Promise<TLSSocket> {
    const ca = options.caPem ?? (options.insecure === true ? undefined : systemCertificates());
    let socket: TLSSocket;
    try {
      socket = this.#tlsConnect(raw, options, ca);
    } catch (error) {
      raw.destroy();
      const message = (error as Error).message;
      throw new AgentError(
        'invalid-request',
        `cannot use the client certificate or key: ${/decrypt|passphrase|bad/i.test(message) ? 'the key passphrase is wrong or missing' : message}`,
        { field: 'keyFile', cause: error },
      );
    }
    try {
      await this.#withTimeout(
        new Promise<void>((resolve, reject) => {
          socket.once('secureConnect', () => {
            socket.off('error', reject);
            resolve();
          });
          socket.once('error', reject);
          socket.once('close', () =>
            reject(
              new AgentError(
                'protocol',
                `Tentacle server ${this.address} closed the connection during the TLS handshake: is it started with TLS (-e)? Without TLS, connect without -c`,
              ),
            ),
          );
        }),
        this.idleTimeoutMs,
        `Tentacle server ${this.address} stopped answering for ${seconds(this.idleTimeoutMs)} during the TLS handshake (is it started with TLS, -e?)`,
      );
    } catch (error) {
      socket.destroy();
      throw this.#tlsError(error, options);
    }
    this.#tlsVersion = socket.getProtocol() ?? undefined;
    const cert = socket.getPeerCertificate();
    if (cert !== null && cert.fingerprint256 !== undefined) {
      this.#peer = {
        subject: String(cert.subject?.CN ?? JSON.stringify(cert.subject)),
        issuer: String(cert.issuer?.CN ?? JSON.stringify(cert.issuer)),
        fingerprint256: cert.fingerprint256,
        validTo: cert.valid_to,
      };
    }
    return socket;
  }

  #tlsConnect(
    raw: Socket,
    options: TlsOptions,
    ca: string | Buffer | string[] | undefined,
  ): TLSSocket {
    const { host } = this.#options;
    return tls().connect({
      socket: raw,
      host,
      // SNI only for names (RFC 6066 forbids IP literals); the server ignores it (§9, P34).
      ...(isIP(host) === 0 ? { servername: host } : {}),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: options.insecure !== true,
      ...(ca === undefined ? {} : { ca }),
      ...(options.certPem === undefined ? {} : { cert: options.certPem }),
      ...(options.keyPem === undefined ? {} : { key: options.keyPem }),
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    });
  }

  #tlsError(error: unknown, options: TlsOptions): AgentError {
    if (error instanceof AgentError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    const message = (error as Error).message;
    if (code !== undefined && TLS_VERIFY_CODES.has(code)) {
      const hint =
        options.caPem === undefined
          ? 'give the CA that signed it (-f CA / caFile)'
          : 'check that the CA file (-f) is the one that signed the server certificate';
      return new AgentError(
        'untrusted-peer',
        `the certificate of Tentacle server ${this.address} is not trusted: ${message}. ${code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'Connect with the name or address its certificate was issued for' : hint}, or (not recommended) allow it with --insecure`,
        { cause: error },
      );
    }
    if (isClientCertAlert(code)) return this.#clientCertRefused(error);
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
      return new AgentError(
        'protocol',
        `Tentacle server ${this.address} does not speak TLS: connect without -c, or enable TLS on the server (-e)`,
        { cause: error },
      );
    }
    if (code === 'ECONNRESET' && /before secure TLS connection/.test(message)) {
      // §9 (S25): a plain server reads the ClientHello as a command and drops us.
      return new AgentError(
        'protocol',
        `Tentacle server ${this.address} closed the connection during the TLS handshake: is it started with TLS (-e)? Without TLS, connect without -c`,
        { cause: error },
      );
    }
    return new AgentError(
      'unreachable',
      `TLS handshake with Tentacle server ${this.address} failed: ${message}`,
      { transient: true, cause: error },
    );
  }

  #clientCertRefused(cause: unknown): AgentError {
    const presented = this.#options.tls?.certPem !== undefined;
    return new AgentError(
      'unauthorized',
      presented
        ? `Tentacle server ${this.address} refused our client certificate: it must be signed by the CA the server trusts (tentacle_server -f)`
        : `Tentacle server ${this.address} requires a client certificate: configure one with -e CERT -k KEY`,
      { cause },
    );
  }

  #attach(): void {
    const socket = this.#socket;
    socket.on('data', (chunk: Buffer) => {
      this.#serverBytes += chunk.length;
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= READ_HIGH_WATER) socket.pause();
      this.#notify();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('error', (error) => {
      this.#error ??= error;
      this.#notify();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('drain', () => this.#notify());
    // The proxy preamble leaves the raw socket paused.
    socket.resume();
    this.#onAbort(() => {
      this.#error ??= new AgentError('timeout', 'the transfer was cancelled', { transient: true });
      socket.destroy();
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #onAbort(action: () => void): void {
    const signal = this.#options.signal;
    if (signal === undefined) return;
    if (signal.aborted) action();
    else signal.addEventListener('abort', action, { once: true });
  }

  /** Races `promise` against a timer; `message` says what timed out. */
  async #withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AgentError('timeout', message, { transient: true })), ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits until something happens on the socket, at most `ms`; the error says
   * the server was silent for `silentMs` (the whole wait, of which `ms` is what is left).
   */
  async #waitEvent(ms: number, what: string, silentMs = ms): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#wake = resolve;
        timer = setTimeout(() => {
          this.#wake = undefined;
          reject(
            new AgentError(
              'timeout',
              `Tentacle server ${this.address} stopped answering for ${seconds(silentMs)} ${what}`,
              { transient: true },
            ),
          );
        }, ms);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The error for a connection that ended while we waited for the server. */
  #closedError(what: string): AgentError {
    const error = this.#error;
    if (error instanceof AgentError) return error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const isTls = this.#tlsVersion !== undefined;
    if (isTls && this.#serverBytes === 0 && isClientCertAlert(code))
      return this.#clientCertRefused(error);
    const tls13Silence = isTls && this.#tlsVersion === 'TLSv1.3' && this.#serverBytes === 0;
    if (tls13Silence && this.#lastCommand === 'PASS' && this.#options.tls?.certPem !== undefined) {
      return new AgentError(
        'unauthorized',
        `Tentacle server ${this.address} closed the connection right after the TLS handshake and the password: either it refused our client certificate (it must be signed by the CA the server trusts, tentacle_server -f) or the password is wrong`,
        { cause: error },
      );
    }
    // §8: no PASS ERR exists; the server just closes after a wrong digest.
    if (this.#lastCommand === 'PASS' && this.#serverBytes === 0) {
      return new AgentError(
        'unauthorized',
        `Tentacle server ${this.address} closed the connection after the password: the password is wrong (or the server has none configured: then remove it)`,
        { cause: error },
      );
    }
    // §9: under TLS 1.3 a refused client certificate shows up as a close on the first read.
    if (tls13Silence && this.#options.tls?.certPem === undefined && code === undefined) {
      return new AgentError(
        'unauthorized',
        `Tentacle server ${this.address} closed the connection right after the TLS handshake: it most likely requires a client certificate (-e CERT -k KEY)${this.#lastCommand === 'PASS' ? ', or the password is wrong' : ''}`,
        { cause: error },
      );
    }
    if (tls13Silence && this.#options.tls?.certPem !== undefined) {
      return this.#clientCertRefused(error);
    }
    const reason =
      code === 'ECONNRESET'
        ? 'reset the connection'
        : code === 'EPIPE'
          ? 'closed the connection'
          : error === undefined
            ? 'closed the connection'
            : `failed: ${error.message}`;
    // §9 (S24): a TLS server drops a plain client on its first line.
    const hint =
      !isTls && this.#serverBytes === 0 ? ' (if the server uses TLS, connect with TLS: -c)' : '';
    return new AgentError(
      'unreachable',
      `Tentacle server ${this.address} ${reason} ${what}${hint}`,
      { transient: true, cause: error },
    );
  }

  #take(): Buffer | undefined {
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return undefined;
    this.#buffered -= chunk.length;
    if (this.#buffered < READ_HIGH_WATER && this.#socket.isPaused()) this.#socket.resume();
    return chunk;
  }

  /** Writes one command line: exactly one line per write, never pipelined (§2). */
  async writeLine(line: Buffer): Promise<void> {
    if (line.length > MAX_LINE_BYTES || line.indexOf(0x0a) !== line.length - 1) {
      throw new AgentError(
        'internal',
        'a Tentacle command must be one LF-terminated line of at most 1024 bytes',
      );
    }
    this.#lastCommand = line
      .subarray(0, line.indexOf(0x20) === -1 ? line.length - 1 : line.indexOf(0x20))
      .toString('latin1');
    await this.write(line, `sending ${this.#lastCommand}`);
  }

  /** Writes raw bytes, waiting for the socket to drain (flat memory). */
  async write(data: Buffer, what: string): Promise<void> {
    if (this.closed) throw this.#closedError(what);
    if (this.#socket.write(data)) return;
    while (this.#socket.writableNeedDrain) {
      if (this.closed) throw this.#closedError(what);
      await this.#waitEvent(this.idleTimeoutMs, `(it stopped reading what we sent: ${what})`);
    }
  }

  /** Reads one reply line (without its LF); `what` completes "while we waited …". */
  async readLine(timeoutMs = this.idleTimeoutMs, what?: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const waitingFor = what ?? `for the reply to ${this.#lastCommand}`;
    for (;;) {
      let line: string | undefined;
      try {
        line = this.#lines.nextLine();
      } catch (error) {
        throw new AgentError(
          'protocol',
          `Tentacle server ${this.address} sent a reply line over ${MAX_LINE_BYTES} bytes: this is not a Tentacle server`,
          { cause: error },
        );
      }
      if (line !== undefined) return line;
      const chunk = this.#take();
      if (chunk !== undefined) {
        this.#lines.push(chunk);
        continue;
      }
      if (this.closed) throw this.#closedError(`while we waited ${waitingFor}`);
      await this.#waitEvent(
        Math.max(1, deadline - Date.now()),
        `while we waited ${waitingFor}`,
        timeoutMs,
      );
    }
  }

  /** Streams exactly `size` payload bytes to `sink` (RECV/ZRECV data, §4.3). */
  async readPayload(
    size: number,
    sink: (chunk: Buffer) => Promise<void> | void,
    onProgress?: (bytes: number) => void,
  ): Promise<void> {
    let received = 0;
    const early = this.#lines.take();
    const handle = async (chunk: Buffer): Promise<void> => {
      const wanted = size - received;
      const part = chunk.length > wanted ? chunk.subarray(0, wanted) : chunk;
      // Anything past the payload would be a protocol error; keep it for the next readLine to report.
      if (chunk.length > wanted) this.#lines.push(chunk.subarray(wanted));
      received += part.length;
      if (part.length > 0) await sink(part);
      onProgress?.(received);
    };
    if (early.length > 0) await handle(early);
    while (received < size) {
      const chunk = this.#take();
      if (chunk !== undefined) {
        await handle(chunk);
        continue;
      }
      if (this.closed) throw this.#closedError(`after ${received} of ${size} bytes`);
      await this.#waitEvent(
        this.idleTimeoutMs,
        `in the middle of the data (download stalled after ${received} of ${size} bytes)`,
      );
    }
  }

  /** Streams a file (or any byte source) as the announced payload, checking its length. */
  async sendPayload(
    source: AsyncIterable<Buffer> | string,
    size: number,
    onProgress?: (bytes: number) => void,
  ): Promise<void> {
    const sent =
      typeof source === 'string'
        ? await this.#sendFile(source, size, onProgress)
        : await this.#sendIterable(source, size, onProgress);
    if (sent !== size) {
      // The server now waits for bytes that will never come; this session is unusable.
      this.destroy();
      throw new AgentError(
        'io',
        `the file changed size while it was being sent (announced ${size} bytes, ${sent > size ? 'it grew' : `read ${sent}`}): send it again once it is complete`,
        { transient: true },
      );
    }
  }

  async #sendIterable(
    source: AsyncIterable<Buffer>,
    size: number,
    onProgress?: (bytes: number) => void,
  ): Promise<number> {
    let sent = 0;
    for await (const chunk of source) {
      sent += chunk.length;
      if (sent > size) break;
      await this.write(chunk, `after ${sent - chunk.length} of ${size} bytes of data`);
      onProgress?.(sent);
    }
    return sent;
  }

  /**
   * Reads the file into a small pool of buffers, each reused once the socket
   * has taken it: memory stays at UPLOAD_BUFFERS × UPLOAD_CHUNK_BYTES whatever
   * the file size, and no garbage is made per chunk.
   */
  async #sendFile(
    path: string,
    size: number,
    onProgress?: (bytes: number) => void,
  ): Promise<number> {
    const handle = await open(path, 'r');
    const free = Array.from({ length: UPLOAD_BUFFERS }, () =>
      Buffer.allocUnsafe(UPLOAD_CHUNK_BYTES),
    );
    let position = 0;
    try {
      while (position < size) {
        while (free.length === 0) {
          if (this.closed) throw this.#closedError(`after ${position} of ${size} bytes of data`);
          await this.#waitEvent(
            this.idleTimeoutMs,
            `while it should have read the data (upload stalled after ${position} of ${size} bytes)`,
          );
        }
        if (this.closed) throw this.#closedError(`after ${position} of ${size} bytes of data`);
        const buffer = free.pop()!;
        const { bytesRead } = await handle.read(
          buffer,
          0,
          Math.min(buffer.length, size - position),
          position,
        );
        if (bytesRead === 0) return position;
        // A file that grew after it was announced would arrive cut short: check
        // before the last chunk goes out, so the server never completes it.
        if (
          position + bytesRead === size &&
          (await handle.read(Buffer.alloc(1), 0, 1, size)).bytesRead > 0
        )
          return size + 1;
        position += bytesRead;
        this.#socket.write(
          bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead),
          () => {
            free.push(buffer);
            this.#notify();
          },
        );
        onProgress?.(position);
      }
      return position;
    } finally {
      await handle.close();
    }
  }

  /** Ends the connection (after QUIT, or to abandon it). */
  destroy(): void {
    this.#phase = 'closed';
    this.#socket?.destroy();
  }

  /** Half-closes after QUIT so the server sees a clean end (§4.5), then lets go. */
  async end(): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    const socket = this.#socket;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
      socket.resume();
    });
  }
}

/**
 * node:tls on first use: loading it costs a plain `outpost tentacle send` ~12 ms
 * and ~8 MiB (issue #17).
 */
function tls(): typeof import('node:tls') {
  return process.getBuiltinModule('node:tls');
}

let systemStore: string[] | undefined;

/** Node's bundled roots plus the operating system's store ("system store or a CA file"). */
function systemCertificates(): string[] {
  const { getCACertificates } = tls();
  systemStore ??= [...new Set([...getCACertificates('default'), ...getCACertificates('system')])];
  return systemStore;
}
