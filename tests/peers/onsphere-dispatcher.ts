/**
 * Reference OnSphere configuration dispatcher, written from onsphere.md §5
 * (our design, not OnSphere code): HTTPS on 127.0.0.1, TLS 1.3 only, client
 * certificate required and verified against the test CA; the caller is
 * identified by its certificate's CN and SHA-256 fingerprint only.
 */
import amqp from 'amqplib';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Issued, TestCa } from './pki.ts';

export interface ConnectorEntry {
  name: string;
  kind: string;
  remote: boolean;
  /** Fingerprint of the certificate on record (the stack's certs/ directory, §1.4), `AB:CD:…`. */
  certFingerprint: string;
  /** The §3.4 document without `schema`/`version`/`module` (added by the server). */
  body: {
    amqp: Record<string, unknown>;
    metrics?: { port: number };
    settings?: Record<string, unknown>;
    secrets?: Record<string, string>;
  };
  version: string;
}

export interface LogEntry {
  cn: string | undefined;
  fingerprint: string | undefined;
  path: string;
  status: number;
  version?: string;
}

export interface DispatcherOptions {
  ca: TestCa;
  /** Remote-capable module kinds (§5.3). */
  remoteKinds?: string[];
  /** Requests per CN per window before 429 (§5.5). */
  throttle?: { max: number; windowMs: number };
  /** Publishes change notices (§5.6) as the broker's `peer` user. */
  notifier?: { url: string; identity: Issued; servername?: string };
}

export class ReferenceDispatcher {
  readonly host = '127.0.0.1';
  port = 0;
  readonly log: LogEntry[] = [];
  /** §5.5: answer 503 + Retry-After ("a push is being validated"). */
  busySeconds: number | undefined;
  readonly #connectors = new Map<string, ConnectorEntry>();
  readonly #options: DispatcherOptions;
  readonly #hits = new Map<string, number[]>();
  readonly #server: Server;
  #notifier: amqp.ChannelModel | undefined;

  private constructor(options: DispatcherOptions) {
    this.#options = options;
    const server = options.ca.issue({
      cn: 'dispatcher',
      altNames: ['localhost', '127.0.0.1'],
      serverAuth: true,
      clientAuth: false,
    });
    this.#server = createServer(
      {
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        requestCert: true,
        rejectUnauthorized: true,
        ca: options.ca.certPem,
        cert: server.certPem,
        key: server.keyPem,
        ALPNProtocols: ['http/1.1'],
      },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerX509Certificate();
        const cn = peer === undefined ? undefined : /(?:^|\n)CN=([^\n]*)/.exec(peer.subject)?.[1];
        const fingerprint = peer?.fingerprint256;
        const send = (
          status: number,
          body: unknown,
          headers: Record<string, string> = {},
          version?: string,
        ): void => {
          this.log.push({
            cn,
            fingerprint,
            path: req.url ?? '',
            status,
            ...(version === undefined ? {} : { version }),
          });
          res.writeHead(status, {
            'content-type': 'application/json',
            'cache-control': 'no-store',
            ...headers,
          });
          res.end(body === undefined ? undefined : JSON.stringify(body));
        };
        const error = (
          status: number,
          code: string,
          message: string,
          headers?: Record<string, string>,
        ): void => send(status, { error: { code, message } }, headers);
        const m = /^\/v1\/connectors\/([^/?]+)\/config$/.exec(req.url ?? '');
        if (req.method !== 'GET' || m === null) return error(404, 'NOT_FOUND', 'no such resource');
        let name: string;
        try {
          name = decodeURIComponent(m[1]!);
        } catch {
          return error(400, 'BAD_NAME', 'malformed connector name');
        }
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
          return error(400, 'BAD_NAME', 'malformed connector name');
        if (cn === undefined) return error(403, 'CN_MISMATCH', 'no client certificate');
        if (this.#throttled(cn))
          return error(429, 'TOO_MANY_REQUESTS', 'slow down', { 'retry-after': '5' });
        if (this.busySeconds !== undefined)
          return error(503, 'VALIDATING', 'a configuration push is being validated', {
            'retry-after': String(this.busySeconds),
          });
        if (name !== cn)
          return error(
            403,
            'CN_MISMATCH',
            `certificate CN '${cn}' may not read the config of '${name}'`,
          );
        const entry = this.#connectors.get(name);
        if (entry === undefined)
          return error(404, 'UNKNOWN_CONNECTOR', `no connector '${name}' is declared`);
        if (!entry.remote || !(options.remoteKinds ?? ['osp-snmp-trap']).includes(entry.kind)) {
          return error(
            403,
            'NOT_REMOTE_CAPABLE',
            `connector '${name}' (${entry.kind}) is not declared as a remote connector`,
          );
        }
        if (fingerprint !== entry.certFingerprint)
          return error(
            403,
            'CERT_NOT_ON_RECORD',
            `this certificate of '${name}' is not the one on record`,
          );
        const etag = `"${entry.version}"`;
        const ifNoneMatch = req.headers['if-none-match'];
        if (
          ifNoneMatch !== undefined &&
          ifNoneMatch
            .split(',')
            .map((t) => t.trim().replace(/^W\//, ''))
            .includes(etag)
        ) {
          return send(304, undefined, { etag }, entry.version);
        }
        const doc = {
          schema: 'osp.remote-connector.config/1',
          version: entry.version,
          module: { name: entry.name, kind: entry.kind },
          ...entry.body,
        };
        send(200, doc, { etag }, entry.version);
      },
    );
  }

  static async start(options: DispatcherOptions): Promise<ReferenceDispatcher> {
    const d = new ReferenceDispatcher(options);
    await new Promise<void>((resolve, reject) => {
      d.#server.once('error', reject);
      d.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = d.#server.address();
    d.port = typeof address === 'object' && address !== null ? address.port : 0;
    return d;
  }

  #throttled(cn: string): boolean {
    const { max, windowMs } = this.#options.throttle ?? { max: 5, windowMs: 10_000 };
    const now = Date.now();
    const hits = (this.#hits.get(cn) ?? []).filter((t) => now - t < windowMs);
    hits.push(now);
    this.#hits.set(cn, hits);
    return hits.length > max;
  }

  /** Declares (or replaces) a connector; its certificate fingerprint is taken from the PEM on record. */
  setConnector(entry: Omit<ConnectorEntry, 'certFingerprint'> & { certPem: string }): void {
    const { certPem, ...rest } = entry;
    this.#connectors.set(entry.name, {
      ...rest,
      certFingerprint: new X509Certificate(certPem).fingerprint256,
    });
  }

  connector(name: string): ConnectorEntry | undefined {
    return this.#connectors.get(name);
  }

  /** §5.6: a config change bumps the version and notifies the connector on osp.config. */
  async changeConfig(
    name: string,
    change: (body: ConnectorEntry['body']) => void,
    version: string,
  ): Promise<void> {
    const entry = this.#connectors.get(name);
    if (entry === undefined) throw new Error(`no connector ${name}`);
    change(entry.body);
    entry.version = version;
    const notifier = this.#options.notifier;
    if (notifier === undefined) return;
    this.#notifier ??= await amqp.connect(notifier.url, {
      credentials: amqp.credentials.external(),
      ca: this.#options.ca.certPem,
      cert: notifier.identity.certPem,
      key: notifier.identity.keyPem,
      servername: notifier.servername ?? 'localhost',
    });
    const ch = await this.#notifier.createConfirmChannel();
    const exchange = (entry.body.amqp.exchanges as { config: string }).config;
    await new Promise<void>((resolve, reject) =>
      ch.publish(
        exchange,
        `config.${name}`,
        Buffer.from(JSON.stringify({ version })),
        { contentType: 'application/json' },
        (err: unknown) => (err ? reject(err as Error) : resolve()),
      ),
    );
    await ch.close();
  }

  async stop(): Promise<void> {
    await this.#notifier?.close().catch(() => undefined);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
