import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import {
  decodeBase64Strict,
  parseKeyMessage,
  rsaDecryptor,
  type RsaDecryptor,
  type SessionKeys,
} from './codec.ts';

/**
 * RSA decryption that never blocks the event loop (issue #15 item 14). Where
 * node:crypto cannot decrypt PKCS#1 v1.5 (codec.ts `rsaDecryptor`: Electron's
 * BoringSSL build among them), node-forge does it in pure JavaScript, 100 to
 * 600 ms per decryption; in the desktop app the whole core shares the main
 * thread with the tray and the window, so forge runs on a worker thread.
 * A worker_threads Worker runs in plain Node (CLI, tests) and in Electron's
 * main process alike, and there can require from app.asar (electron/electron#33216).
 * One thread per key, started on first use and ended after a quiet minute.
 */
export interface AsyncRsaDecryptor {
  bits: number;
  engine: RsaDecryptor['engine'];
  /** Undefined when the ciphertext does not decrypt (or the worker died: the caller refuses). */
  decrypt(ciphertext: Buffer): Promise<Buffer | undefined>;
}

const IDLE_MS = 60_000;
const FORGE = createRequire(import.meta.url).resolve('node-forge');
/** CommonJS, evaluated by the worker: node-forge is required by the absolute path resolved here. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const forge = require(workerData.forge);
const key = forge.pki.privateKeyFromPem(workerData.pem);
parentPort.on('message', ({ id, ciphertext }) => {
  let plain = null;
  try {
    plain = Buffer.from(key.decrypt(Buffer.from(ciphertext).toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
  } catch {}
  parentPort.postMessage({ id, plain });
});
`;

export function asyncRsaDecryptor(
  privateKeyPem: string,
  engine?: RsaDecryptor['engine'],
): AsyncRsaDecryptor {
  const inline = rsaDecryptor(privateKeyPem, engine);
  if (inline.engine === 'node') {
    return { bits: inline.bits, engine: 'node', decrypt: async (c) => inline.decrypt(c) };
  }
  const size = Math.ceil(inline.bits / 8);
  const thread = new ForgeThread(privateKeyPem);
  return {
    bits: inline.bits,
    engine: 'forge',
    decrypt: (c) => (c.length === size ? thread.decrypt(c) : Promise.resolve(undefined)),
  };
}

/** `decryptKeyAnswer` (codec.ts, §4 step 3) with the decryption off the event loop. */
export async function decryptKeyAnswerAsync(
  frame: string,
  decryptor: AsyncRsaDecryptor,
): Promise<SessionKeys | undefined> {
  const bytes = decodeBase64Strict(frame);
  if (bytes === undefined) return undefined;
  const plain = await decryptor.decrypt(bytes);
  return plain === undefined ? undefined : parseKeyMessage(plain.toString('utf8'));
}

class ForgeThread {
  readonly #pem: string;
  readonly #pending = new Map<number, (plain: Buffer | undefined) => void>();
  #worker: Worker | undefined;
  #nextId = 0;
  #idle: NodeJS.Timeout | undefined;

  constructor(pem: string) {
    this.#pem = pem;
  }

  decrypt(ciphertext: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      clearTimeout(this.#idle);
      const id = this.#nextId++;
      this.#pending.set(id, resolve);
      this.#started().postMessage({ id, ciphertext });
    });
  }

  #started(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { forge: FORGE, pem: this.#pem },
    });
    // Never what keeps a process alive: `outpost` commands exit when their work is done.
    worker.unref();
    worker.on('message', ({ id, plain }: { id: number; plain: Uint8Array | null }) => {
      const resolve = this.#pending.get(id);
      this.#pending.delete(id);
      resolve?.(plain === null ? undefined : Buffer.from(plain));
      if (this.#pending.size === 0) {
        this.#idle = setTimeout(() => this.#stop(worker), IDLE_MS);
        this.#idle.unref();
      }
    });
    const lost = (): void => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      for (const resolve of this.#pending.values()) resolve(undefined);
      this.#pending.clear();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    this.#worker = worker;
    return worker;
  }

  #stop(worker: Worker): void {
    if (this.#worker !== worker || this.#pending.size > 0) return;
    this.#worker = undefined;
    worker.terminate().catch(() => undefined);
  }
}
