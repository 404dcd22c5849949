/**
 * A tiny HTTP CONNECT proxy for tests (tentacle.md §11): answers like the
 * proxy of transcripts S33/S34, optionally demanding Basic credentials, and
 * records what each client sent before the tunnel opened.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ProxyOptions {
  user?: string;
  password?: string;
}

export class ConnectProxy {
  port = 0;
  /** The request head (up to the blank line) of every connection. */
  readonly requests: Buffer[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(options: ProxyOptions) {
    this.#server = createServer((client) => this.#handle(client, options));
  }

  static async start(options: ProxyOptions = {}): Promise<ConnectProxy> {
    const proxy = new ConnectProxy(options);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    proxy.port = typeof address === 'object' && address !== null ? address.port : 0;
    return proxy;
  }

  #handle(client: Socket, options: ProxyOptions): void {
    this.#sockets.add(client);
    client.once('close', () => this.#sockets.delete(client));
    client.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.off('data', onData);
      const request = head.subarray(0, end + 4);
      this.requests.push(request);
      const rest = head.subarray(end + 4);
      const lines = request.toString('latin1').split('\r\n');
      const target = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
      if (target === null) {
        client.end('HTTP/1.0 400 Bad Request\r\n\r\n');
        return;
      }
      if (options.user !== undefined) {
        const expected = `Proxy-Authorization: Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`;
        if (!lines.includes(expected)) {
          client.end('HTTP/1.0 407 Proxy Authentication Required\r\n\r\n');
          return;
        }
      }
      const host = target[1]!.replace(/^\[(.*)\]$/, '$1');
      const upstream = connect({ host, port: Number(target[2]) }, () => {
        client.write('HTTP/1.0 200 Connection established\r\n\r\n');
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      this.#sockets.add(upstream);
      upstream.once('close', () => {
        this.#sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.end('HTTP/1.0 502 Bad Gateway\r\n\r\n'));
      client.once('close', () => upstream.destroy());
    };
    client.on('data', onData);
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
