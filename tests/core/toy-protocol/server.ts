import { createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { decode, encode } from './codec.ts';

/** The toy reference server: greets with its key, stores every result it acknowledges. */
export async function startToyServer(): Promise<{
  port: number;
  key: string;
  received: Array<{ id: string; result: unknown }>;
  close(): Promise<void>;
}> {
  const key = randomBytes(16).toString('hex');
  const received: Array<{ id: string; result: unknown }> = [];
  const server: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    socket.write(encode({ hello: 'toy', key }));
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const message = decode(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        if ('id' in message) {
          received.push({ id: message.id, result: message.result });
          socket.write(encode({ ack: message.id }));
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    key,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
