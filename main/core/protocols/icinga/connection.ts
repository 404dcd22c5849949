/**
 * One TLS connection to an Icinga master carrying netstring JSON-RPC (spec
 * icinga2.md §2.1–§2.4). Used once per pairing attempt and by the session,
 * which adds heartbeats and reconnects on top.
 */
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { AgentError } from '../../contract/errors.ts';
import { derFingerprint } from './certs.ts';
import { DEFAULT_PORT } from './config.ts';
import {
  decodeMessage,
  encodeMessage,
  FramingError,
  NetstringDecoder,
  type JsonObject,
  type RpcMessage,
} from './codec.ts';

/** §2.1: the master cancels handshakes after 10 s; we give up a little later. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 15_000;

export interface ConnectOptions {
  host: string;
  port: number;
  /** The master's endpoint name: SNI and the name its certificate must carry (§2.1). */
  servername: string;
  keyPem?: string;
  certPem?: string;
  /** Trust anchor: when given the master must chain to it and carry `servername`. */
  caPem?: string;
  /** Lower-case hex SHA-256 the master's leaf must have; checked before a byte is sent. */
  pinnedFingerprint?: string;
  maxPayload: number;
  timeoutMs?: number;
}

type Pending = {
  resolve(message: RpcMessage): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
};

export class RpcConnection {
  readonly socket: TLSSocket;
  readonly peerFingerprint: string;
  readonly peerCertPem: string;
  readonly #decoder: NetstringDecoder;
  readonly #pending = new Map<string, Pending>();
  readonly #messageListeners = new Set<(message: RpcMessage) => void>();
  readonly #closeListeners = new Set<(error: Error | undefined) => void>();
  #closed = false;
  #closeError: Error | undefined;
  /** Monotonic time of the last byte received (§2.5 liveness). */
  lastReceivedAt = performance.now();

  constructor(socket: TLSSocket, maxPayload: number) {
    this.socket = socket;
    this.#decoder = new NetstringDecoder(maxPayload);
    const raw = socket.getPeerCertificate(false).raw;
    this.peerFingerprint = derFingerprint(raw);
    this.peerCertPem = `-----BEGIN CERTIFICATE-----\n${raw
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')
      .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.#finish(error));
    socket.on('close', () => this.#finish(undefined));
  }

  set maxPayload(value: number) {
    this.#decoder.maxPayload = value;
  }

  get closed(): boolean {
    return this.#closed;
  }

  onMessage(listener: (message: RpcMessage) => void): () => void {
    this.#messageListeners.add(listener);
    return () => this.#messageListeners.delete(listener);
  }

  onClose(listener: (error: Error | undefined) => void): void {
    if (this.#closed) listener(this.#closeError);
    else this.#closeListeners.add(listener);
  }

  /** Writes one message; false when the socket buffer is full (wait for `drained()`). */
  send(message: JsonObject): boolean {
    if (this.#closed)
      throw new AgentError('unreachable', 'the connection to the Icinga master is closed');
    // Frames written in the same tick (pipelined results) leave in one TLS
    // write instead of one record and syscall each.
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.socket.uncork();
      });
    }
    return this.socket.write(encodeMessage(message));
  }

  #corked = false;

  #drain: Promise<void> | undefined;

  /** One shared wait for 'drain', however many pipelined senders wait on it. */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.#closed) return Promise.resolve();
    this.#drain ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.#drain = undefined;
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
    return this.#drain;
  }

  /** Sends a message with `id` and resolves with the master's response to it (§2.4). */
  request(message: JsonObject & { id: string }, timeoutMs: number): Promise<RpcMessage> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(this.#closedError());
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(message.id);
        reject(
          new AgentError(
            'timeout',
            `the Icinga master did not answer ${String(message.method)} within ${Math.round(timeoutMs / 1000)} s`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(message.id, { resolve, reject, timer });
      this.send(message);
    });
  }

  /** Number of requests still waiting for their answer. */
  get inFlight(): number {
    return this.#pending.size;
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.lastReceivedAt = performance.now();
    let payloads: Buffer[];
    try {
      payloads = this.#decoder.push(chunk);
      for (const payload of payloads) this.#dispatch(decodeMessage(payload));
    } catch (error) {
      const reason = error instanceof FramingError ? error.message : String(error);
      this.socket.destroy(
        new AgentError(
          'protocol',
          `the Icinga master sent something that is not cluster protocol: ${reason}`,
        ),
      );
    }
  }

  #dispatch(message: RpcMessage): void {
    if (message.method === undefined && typeof message.id === 'string') {
      const pending = this.#pending.get(message.id);
      if (pending !== undefined) {
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve(message);
        return;
      }
    }
    for (const listener of this.#messageListeners) listener(message);
  }

  #closedError(): AgentError {
    const reason = this.#closeError === undefined ? '' : `: ${this.#closeError.message}`;
    return new AgentError(
      'unreachable',
      `the Icinga master closed the connection before answering${reason}`,
      { transient: true },
    );
  }

  #finish(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    this.socket.destroy();
    const closedError = this.#closedError();
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(closedError);
    }
    this.#pending.clear();
    for (const listener of this.#closeListeners) listener(error);
    this.#closeListeners.clear();
  }
}

/**
 * TLS ≥ 1.2 to the master. With `caPem` the chain and the endpoint name are
 * verified by Node (servername = endpoint name, never the IP: §2.1); with a
 * pin the leaf's SHA-256 must match before anything is written.
 */
export function openConnection(options: ConnectOptions): Promise<RpcConnection> {
  const timeoutMs = options.timeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: options.host,
      port: options.port,
      // SNI must be a name (RFC 6066); the TOFU fetch may only know an IP.
      ...(isIP(options.servername) === 0 ? { servername: options.servername } : {}),
      minVersion: 'TLSv1.2',
      ...(options.keyPem === undefined ? {} : { key: options.keyPem }),
      ...(options.certPem === undefined ? {} : { cert: options.certPem }),
      ...(options.caPem === undefined
        ? { rejectUnauthorized: false }
        : { ca: options.caPem, rejectUnauthorized: true }),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new AgentError(
          'unreachable',
          `no TLS handshake with ${options.host}:${options.port} within ${Math.round(timeoutMs / 1000)} s: is it an Icinga API port?`,
        ),
      );
    }, timeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(describeConnectError(error, options));
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      const connection = new RpcConnection(socket, options.maxPayload);
      if (
        options.pinnedFingerprint !== undefined &&
        connection.peerFingerprint !== options.pinnedFingerprint
      ) {
        socket.destroy();
        reject(
          new AgentError(
            'untrusted-peer',
            `the master at ${options.host}:${options.port} presented a certificate with SHA-256 ${connection.peerFingerprint}, not the pinned ${options.pinnedFingerprint}: nothing was sent. If the master's certificate really changed, pair again and confirm the new fingerprint`,
          ),
        );
        return;
      }
      resolve(connection);
    });
  });
}

function describeConnectError(error: NodeJS.ErrnoException, options: ConnectOptions): AgentError {
  const where = `${options.host}:${options.port}`;
  if (
    error.code === 'ECONNREFUSED' ||
    error.code === 'ENOTFOUND' ||
    error.code === 'EHOSTUNREACH' ||
    error.code === 'ETIMEDOUT' ||
    error.code === 'ECONNRESET'
  ) {
    return new AgentError(
      'unreachable',
      `cannot reach the Icinga master at ${where} (${error.code}): check the host, the port (default ${DEFAULT_PORT}) and the firewall`,
      { cause: error },
    );
  }
  if (
    typeof error.code === 'string' &&
    /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT_ALTNAME/.test(error.code)
  ) {
    return new AgentError(
      'untrusted-peer',
      `the master at ${where} is not the one this agent paired with (${error.message}): its certificate must chain to the stored Icinga CA and carry the name '${options.servername}'. If the master's CA changed, pair again`,
      { cause: error },
    );
  }
  return new AgentError(
    'unreachable',
    `TLS connection to the Icinga master at ${where} failed: ${error.message}`,
    { cause: error },
  );
}
