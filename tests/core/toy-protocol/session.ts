import { connect, type Socket } from 'node:net';
import { decode, encode, type ToyMessage } from './codec.ts';

/** One connection: waits for the hello, then sends one message at a time and reads one answer. */
export class ToySession {
  readonly #socket: Socket;
  readonly #lines: string[] = [];
  readonly #waiting: Array<(line: string) => void> = [];
  #buffer = '';

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let end: number;
      while ((end = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 1);
        const waiter = this.#waiting.shift();
        if (waiter === undefined) this.#lines.push(line);
        else waiter(line);
      }
    });
  }

  static async open(host: string, port: number): Promise<{ session: ToySession; key: string }> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const session = new ToySession(socket);
    const hello = await session.next();
    if (!('hello' in hello)) throw new Error('the toy server did not greet');
    return { session, key: hello.key };
  }

  next(): Promise<ToyMessage> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(decode(line));
    return new Promise((resolve) => this.#waiting.push((l) => resolve(decode(l))));
  }

  async request(message: ToyMessage): Promise<ToyMessage> {
    this.#socket.write(encode(message));
    return this.next();
  }

  close(): void {
    this.#socket.end();
  }
}
