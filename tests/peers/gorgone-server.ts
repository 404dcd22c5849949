/**
 * Reference Gorgone peer for tests, written from the Gorgone protocol spec (gorgone.md)
 * only (it imports nothing from main/): node:crypto for AES and RSA encryption,
 * node-forge for PKCS#1 v1.5 decryption, zeromq for the sockets.
 *
 * - GorgoneReferenceServer: a gorgoned "external" ROUTER (§2, §4, §5) acting as
 *   a central for pull nodes (§8: records REGISTERNODES/PONG/SETLOGS, sends
 *   PING/GETLOG/COMMAND/SYNCLOGS/PROCESSCOPY down the node's connection) and
 *   answering the core actions of §9 (PING, GETTHUMBPRINT, GETLOG, unknown).
 * - GorgoneReferenceClient: a central's proxy connecting to a push-mode node (§1).
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import forge from 'node-forge';
import { Dealer, Router } from 'zeromq';

// ---- primitives, straight from the spec ----------------------------------------

/** §6: base64url(SHA-256('{"e":…,"kty":"RSA","n":…}')). */
export function thumbprintOf(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  return createHash('sha256')
    .update(`{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`)
    .digest('base64url');
}

/** §4 step 1 quirk: the label may say RSA PUBLIC KEY over an SPKI body. */
export function importPublicPem(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch {
    const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const der = Buffer.from(body, 'base64');
    try {
      return createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
    }
  }
}

function aes(key: Buffer): string {
  return `aes-${key.length * 8}-cbc`;
}

export function encrypt(k: { key: Buffer; iv: Buffer }, text: string): string {
  const c = createCipheriv(aes(k.key), k.key, k.iv);
  return Buffer.concat([c.update(text, 'utf8'), c.final()]).toString('base64');
}

export function decrypt(k: { key: Buffer; iv: Buffer }, frame: string): string | undefined {
  try {
    const d = createDecipheriv(aes(k.key), k.key, k.iv);
    return Buffer.concat([d.update(Buffer.from(frame, 'base64')), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function forgeDecrypt(privateKeyPem: string, data: Buffer): Buffer | undefined {
  try {
    const key = forge.pki.privateKeyFromPem(privateKeyPem);
    return Buffer.from(key.decrypt(data.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
  } catch {
    return undefined;
  }
}

function keyJson(k: { key: Buffer; iv: Buffer }, hostname: string): string {
  // §4 step 3: member order varies on a real server; this one is fixed.
  return `[KEY] ${JSON.stringify({ hostname, cipher: 'AES', padding: 1, key: k.key.toString('hex'), iv: k.iv.toString('hex') })}`;
}

const REQUEST = /^\[([A-Za-z_-]+)\]\s+\[([^\]]*)\]\s+\[([^\]]*)\]\s*(.*)$/;
const HANDSHAKE_ISSUE = '[ACK] [] {"code":1,"data":{"message":"handshake issue"}}';

export interface Received {
  identity: string;
  action: string;
  token: string;
  target: string;
  data: unknown;
  raw: string;
}

interface ServerSession {
  key: Buffer;
  iv: Buffer;
  oldKey?: Buffer;
  oldIv?: Buffer;
  ctime: number;
}

export interface ReferenceServerOptions {
  /** Without it, HELO cannot be answered (offline replays with a real server's public key only). */
  privateKeyPem?: string;
  publicKeyPem: string;
  authorized: string[];
  hostname?: string;
  /** gorgonecore.id */
  id?: string;
  /** Seconds; the check runs every `rotationCheckMs` (§5: every ≤ 5 s on a real server). */
  rotationSeconds?: number;
  rotationCheckMs?: number;
}

export class GorgoneReferenceServer {
  readonly router = new Router({ routingId: 'router-external', linger: 0, handover: true });
  readonly received: Received[] = [];
  readonly log: string[] = [];
  /** PUTLOG entries received (§9). */
  readonly putlogs: unknown[] = [];
  readonly sessions = new Map<string, ServerSession>();
  /** node id → routing id (§8: the central trusts the claimed identity). */
  readonly nodes = new Map<string, string>();
  endpoint = '';
  #options: ReferenceServerOptions;
  #timer: NodeJS.Timeout | undefined;
  #sendChain: Promise<void> = Promise.resolve();
  #waiters: Array<{ match(r: Received): boolean; resolve(r: Received): void }> = [];

  constructor(options: ReferenceServerOptions) {
    this.#options = options;
  }

  get thumbprint(): string {
    return thumbprintOf(importPublicPem(this.#options.publicKeyPem));
  }

  async start(bind = 'tcp://127.0.0.1:0'): Promise<this> {
    await this.router.bind(bind);
    this.endpoint = this.router.lastEndpoint ?? bind;
    void this.#loop();
    if (this.#options.rotationSeconds !== undefined) {
      this.#timer = setInterval(() => this.rotateDue(), this.#options.rotationCheckMs ?? 200);
    }
    return this;
  }

  close(): void {
    clearInterval(this.#timer);
    this.router.close();
  }

  /** §5 purge: forget every session, so the next encrypted frame gets the plaintext "handshake issue". */
  forgetSessions(): void {
    this.sessions.clear();
  }

  /** Installs a session as if a handshake had happened (transcript replays). */
  installSession(identity: string, key: Buffer, iv: Buffer): void {
    this.sessions.set(Buffer.from(identity, 'latin1').toString('hex'), {
      key,
      iv,
      ctime: Date.now() / 1000,
    });
  }

  /** Resolves with the next (or an already received) node message matching. */
  waitFor(match: (r: Received) => boolean, timeoutMs = 5_000): Promise<Received> {
    const found = this.received.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `reference server: nothing matching after ${timeoutMs} ms; log: ${this.log.join(' | ')}`,
            ),
          ),
        timeoutMs,
      );
      this.#waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** Central → node (§8): `[ACTION] [TOKEN] [<node id>] DATA`, encrypted with the node's session. */
  sendToNode(nodeId: string, action: string, token: string, data: unknown, target = nodeId): void {
    const identity = this.nodes.get(nodeId);
    if (identity === undefined) throw new Error(`node ${nodeId} is not registered`);
    this.#sendEncrypted(
      Buffer.from(identity, 'latin1'),
      `[${action}] [${token}] [${target}] ${JSON.stringify(data)}`,
    );
  }

  /** Rotates every session older than rotationSeconds (or all with force). */
  rotateDue(force = false): void {
    const now = Date.now() / 1000;
    for (const [hexId, s] of this.sessions) {
      if (!force && now - s.ctime <= (this.#options.rotationSeconds ?? Infinity)) continue;
      const next = { key: randomBytes(32), iv: randomBytes(16) };
      // §5: [KEY] under the OLD key, then switch; the old key stays accepted.
      const frame = encrypt(s, keyJson(next, this.#hostname()));
      Object.assign(s, { oldKey: s.key, oldIv: s.iv, key: next.key, iv: next.iv, ctime: now });
      this.#send(Buffer.from(hexId, 'hex'), frame);
      this.log.push('rotated');
    }
  }

  #hostname(): string {
    return this.#options.hostname ?? 'gorgone-reference';
  }

  #send(id: Buffer, frame: string): void {
    this.#sendChain = this.#sendChain
      .then(() => this.router.send([id, frame]))
      .catch(() => undefined);
  }

  #sendEncrypted(id: Buffer, line: string): void {
    const s = this.sessions.get(id.toString('hex'));
    if (s === undefined) throw new Error('no session for that identity');
    this.#send(id, encrypt(s, line));
  }

  async #loop(): Promise<void> {
    try {
      for await (const [id, payload] of this.router) {
        if (id === undefined || payload === undefined) continue;
        this.#frame(id, payload.toString('latin1'));
      }
    } catch {
      // closed
    }
  }

  #frame(id: Buffer, frame: string): void {
    const identity = id.toString('latin1');
    if (!identity.startsWith('gorgone-')) {
      this.log.push(`unknown identity: ${identity}`);
      return;
    }
    if (frame === '[GETPUBKEY]') {
      this.#send(id, `[PUBKEY] [${Buffer.from(this.#options.publicKeyPem).toString('base64')}]`);
      return;
    }
    const s = this.sessions.get(id.toString('hex'));
    if (s !== undefined) {
      let plain = decrypt(s, frame);
      if ((plain === undefined || !/^\[[A-Za-z_-]+\]/.test(plain)) && s.oldKey !== undefined) {
        plain = decrypt({ key: s.oldKey, iv: s.oldIv! }, frame);
      }
      if (plain !== undefined && /^\[[A-Za-z_-]+\]/.test(plain)) {
        this.#message(id, identity, plain);
        return;
      }
    }
    this.#helo(id, frame);
  }

  #helo(id: Buffer, frame: string): void {
    const m = /^\[(.+)\]\s+\[(.+)\]\s+\[(.+)\]$/s.exec(frame);
    const privateKeyPem = this.#options.privateKeyPem;
    if (m === null || privateKeyPem === undefined) {
      this.log.push('handshake issue: bad HELO');
      this.#send(id, HANDSHAKE_ISSUE);
      return;
    }
    const helo = forgeDecrypt(privateKeyPem, Buffer.from(m[3]!, 'base64'));
    let clientKey: KeyObject;
    try {
      clientKey = importPublicPem(Buffer.from(m[2]!, 'base64').toString('utf8'));
    } catch {
      this.log.push('handshake issue: client key not importable');
      this.#send(id, HANDSHAKE_ISSUE);
      return;
    }
    const tp = thumbprintOf(clientKey);
    if (helo?.toString() !== 'HELO' || !this.#options.authorized.includes(tp)) {
      this.log.push(`Client pubkey is not authorized. Thumbprint is '${tp}'`);
      this.#send(id, HANDSHAKE_ISSUE);
      return;
    }
    const session = { key: randomBytes(32), iv: randomBytes(16), ctime: Date.now() / 1000 };
    const answer = publicEncrypt(
      { key: clientKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from(keyJson(session, this.#hostname())),
    );
    this.sessions.set(id.toString('hex'), session);
    this.log.push(`Connection from ${m[1]}`);
    this.#send(id, answer.toString('base64'));
  }

  #reply(
    id: Buffer,
    type: string,
    token: string,
    code: number,
    data: unknown,
    withTarget = false,
  ): void {
    const body = JSON.stringify({ code, data });
    this.#sendEncrypted(
      id,
      withTarget ? `[${type}] [${token}] [] ${body}` : `[${type}] [${token}] ${body}`,
    );
  }

  #message(id: Buffer, identity: string, line: string): void {
    const m = REQUEST.exec(line);
    if (m === null) {
      this.#reply(id, 'ACK', '', 1, { message: 'request not well formatted' });
      return;
    }
    const [, action, rawToken, target, dataText] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    let data: unknown;
    try {
      data = dataText === '' ? {} : JSON.parse(dataText);
    } catch {
      data = dataText;
    }
    const token = rawToken === '' ? randomBytes(64).toString('hex') : rawToken;
    const received: Received = { identity, action, token: rawToken, target, data, raw: line };
    this.received.push(received);
    this.log.push(action);
    for (const w of this.#waiters.filter((w) => w.match(received))) {
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve(received);
    }
    const id_ = this.#options.id ?? '1';
    switch (action) {
      case 'PING':
        this.#reply(
          id,
          'PONG',
          token,
          0,
          {
            action: 'ping',
            message: 'ping ok',
            id: id_,
            hostname: this.#hostname(),
            data: Object.fromEntries(
              [...this.nodes.keys()].map((n) => [n, { type: 'pull', nodes: {} }]),
            ),
          },
          true,
        );
        return;
      case 'GETTHUMBPRINT':
        this.#reply(id, 'GETTHUMBPRINT', token, 2, {
          action: 'getthumbprint',
          message: 'ok',
          data: { thumbprint: this.thumbprint },
        });
        return;
      case 'REGISTERNODES':
        for (const node of (data as { nodes?: Array<{ id: unknown; identity?: string }> }).nodes ??
          []) {
          this.nodes.set(String(node.id), node.identity ?? identity);
        }
        this.#reply(id, 'ACK', token, 0, null);
        return;
      case 'UNREGISTERNODES':
        for (const node of (data as { nodes?: Array<{ id: unknown }> }).nodes ?? [])
          this.nodes.delete(String(node.id));
        this.#reply(id, 'ACK', token, 0, null);
        return;
      case 'PONG':
        this.#reply(id, 'ACK', token, 0, null);
        return;
      case 'SETLOGS':
        this.#reply(id, 'ACK', token, 0, null);
        // §8: after ingesting, the central sends SYNCLOGS to identities that pinged it.
        this.#sendEncrypted(
          id,
          `[SYNCLOGS] [] [] ${JSON.stringify({ code: 0, data: { id: id_ } })}`,
        );
        return;
      case 'PUTLOG':
        // §9: {code,etime,token,instant,data} into the server's history.
        this.putlogs.push(data);
        this.#reply(id, 'ACK', token, 0, null);
        return;
      case 'GETLOG':
        if (typeof data !== 'object' || data === null || Object.keys(data).length === 0) {
          this.#reply(id, 'ACK', token, 1, { message: 'need at least one filter' });
          return;
        }
        this.#reply(id, 'ACK', token, 0, { action: 'getlog', result: [], id: id_ });
        return;
      default:
        // §3: unknown action → empty token.
        this.#reply(id, 'ACK', '', 1, {
          error: 'unknown_action',
          message: `action '${action}' is unknown`,
        });
    }
  }
}

/** A central's proxy as a client of a push-mode node (§1, §9). */
export class GorgoneReferenceClient {
  readonly dealer: Dealer;
  readonly identity: string;
  keys: { key: Buffer; iv: Buffer } | undefined;
  rotations = 0;
  #inbox: string[] = [];
  #waiter: ((frame: string) => void) | undefined;

  constructor(identity = `gorgone-proxy-1-${randomBytes(12).toString('hex')}`) {
    this.identity = identity;
    this.dealer = new Dealer({ routingId: identity, linger: 0 });
  }

  connect(endpoint: string): void {
    this.dealer.connect(endpoint);
    void (async () => {
      try {
        for await (const [frame] of this.dealer) this.#push(frame!.toString('latin1'));
      } catch {
        // closed
      }
    })();
  }

  close(): void {
    this.dealer.close();
  }

  #push(frame: string): void {
    // §5: [KEY] under the current key → switch.
    if (this.keys !== undefined && !frame.startsWith('[')) {
      const plain = decrypt(this.keys, frame);
      if (plain?.startsWith('[KEY]') === true) {
        const j = JSON.parse(plain.slice(6)) as { key: string; iv: string };
        this.keys = { key: Buffer.from(j.key, 'hex'), iv: Buffer.from(j.iv, 'hex') };
        this.rotations++;
        return;
      }
    }
    if (this.#waiter !== undefined) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(frame);
    } else this.#inbox.push(frame);
  }

  next(timeoutMs = 5_000): Promise<string> {
    const queued = this.#inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('reference client: no frame')), timeoutMs);
      this.#waiter = (f) => {
        clearTimeout(timer);
        resolve(f);
      };
    });
  }

  async sendRaw(frame: string): Promise<void> {
    await this.dealer.send(frame);
  }

  /** §4: GETPUBKEY, HELO, KEY. Returns the server's plaintext failure line, or undefined when done. */
  async handshake(client: {
    privateKeyPem: string;
    publicKeyPem: string;
  }): Promise<{ serverThumbprint: string; failure?: string }> {
    await this.sendRaw('[GETPUBKEY]');
    const pub = /^\[PUBKEY\] \[(.+)\]$/.exec(await this.next());
    if (pub === null) throw new Error('no PUBKEY');
    const serverKey = importPublicPem(Buffer.from(pub[1]!, 'base64').toString('utf8'));
    const helo = publicEncrypt(
      { key: serverKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from('HELO'),
    );
    await this.sendRaw(
      `[gorgone-proxy] [${Buffer.from(client.publicKeyPem).toString('base64')}] [${helo.toString('base64')}]`,
    );
    const answer = await this.next();
    if (answer.startsWith('['))
      return { serverThumbprint: thumbprintOf(serverKey), failure: answer };
    const plain = forgeDecrypt(client.privateKeyPem, Buffer.from(answer, 'base64'));
    const j = JSON.parse(plain!.toString().slice(6)) as { key: string; iv: string };
    this.keys = { key: Buffer.from(j.key, 'hex'), iv: Buffer.from(j.iv, 'hex') };
    return { serverThumbprint: thumbprintOf(serverKey) };
  }

  /** One request, its decrypted answer line. */
  async request(line: string): Promise<string> {
    if (this.keys === undefined) throw new Error('no session');
    await this.sendRaw(encrypt(this.keys, line));
    const frame = await this.next();
    if (frame.startsWith('[')) return frame;
    return decrypt(this.keys, frame) ?? '<undecryptable>';
  }
}
