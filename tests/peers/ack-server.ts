import { createServer, type Server, type Socket } from 'node:net';

/**
 * A minimal line protocol to test the queue over a real socket: the client
 * sends `<id>\n`, the server records it and answers `OK <id>\n`. Modes let a
 * test make it refuse (`ERR`), stall or drop connections.
 */
export class AckServer {
  readonly received: string[] = [];
  port = 0;
  mode: 'ack' | 'refuse' | 'drop' | 'stall' = 'ack';
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor() {
    this.#server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffer = '';
      socket.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const id = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (this.mode === 'drop') {
            socket.destroy();
            return;
          }
          if (this.mode === 'stall') continue;
          if (this.mode === 'refuse') {
            socket.write(`ERR ${id}\n`);
            continue;
          }
          this.received.push(id);
          socket.write(`OK ${id}\n`);
        }
      });
    });
  }

  static async start(): Promise<AckServer> {
    const server = new AckServer();
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    const address = server.#server.address();
    server.port = typeof address === 'object' && address !== null ? address.port : 0;
    return server;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
