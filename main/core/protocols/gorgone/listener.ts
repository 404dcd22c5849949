/**
 * The agent as a push-mode Gorgone node (gorgone.md §1 "push mode", §2 server
 * socket, §4 server side of the handshake, §5 rotation, §9 core actions): a
 * ZMQ ROUTER on `external_com_path` that accepts only centrals whose key
 * thumbprint is in this agent's own authorized_clients list. OFF by default.
 */
import type { KeyObject } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { Router } from 'zeromq';
import { jwkThumbprint, MIN_RSA_BITS, parsePublicKey, rsaBits } from '../../identity/keys.ts';
import type { Logger } from '../../log.ts';
import { AGENT_VERSION } from '../../version.ts';
import {
  ProcessCopyReceiver,
  runCommandAction,
  sweepAbandonedCopies,
  type NodeActionEnv,
} from './actions.ts';
import {
  decryptFrame,
  encryptFrame,
  formatKeyMessage,
  formatPubkey,
  formatResponse,
  generateToken,
  GETPUBKEY,
  HANDSHAKE_ISSUE,
  looksLikeMessage,
  parseData,
  parseHelo,
  parseMessage,
  randomSessionKeys,
  rsaDecryptor,
  rsaEncrypt,
  type RsaDecryptor,
  type SessionKeys,
} from './codec.ts';
import { historyFilterFrom } from './history.ts';
import { rowForWire } from './pull-node.ts';

/** §2: the server loop wakes at least every 5 s, which bounds rotation latency. */
const ROTATION_CHECK_MS = 5_000;
/** §5: sessions are purged 24 h after their last use (23.x refreshes mtime on each message). */
const SESSION_PURGE_SECONDS = 86_400;

export interface ListenerOptions {
  /** `HOST:PORT`, `*:5556` in the Centreon procedure (§1 external_com_path). */
  bind: string;
  /** This node's id as the central declares it (`- id: N`), shown in PONG. */
  nodeId: string | undefined;
  privateKeyPem: string;
  publicKeyPem: string;
  /** Read on every HELO, so edits apply without a restart. */
  authorizedClients(): ReadonlyArray<{ thumbprint: string }>;
  env: Omit<NodeActionEnv, 'who'>;
  log: Logger;
  /** §5 external_com_rotation, in seconds here (gorgone: minutes). */
  rotationSeconds: number;
  rotationCheckMs?: number;
  hostname?: string;
}

interface ClientSession {
  keys: SessionKeys;
  oldKeys: SessionKeys | undefined;
  ctime: number;
  mtime: number;
  thumbprint: string;
}

export class GorgoneListener {
  readonly #options: ListenerOptions;
  readonly #router: Router;
  readonly #decryptor: RsaDecryptor;
  readonly #thumbprint: string;
  readonly #sessions = new Map<string, ClientSession>();
  readonly #copies = new ProcessCopyReceiver();
  readonly #hostname: string;
  #sendChain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #closed = false;
  /** Counters for INFORMATION. */
  readonly counters = { handshakes: 0, refused: 0, messages: 0, rotations: 0 };

  constructor(options: ListenerOptions) {
    this.#options = options;
    this.#decryptor = rsaDecryptor(options.privateKeyPem);
    this.#thumbprint = jwkThumbprint(parsePublicKey(options.publicKeyPem));
    this.#hostname = options.hostname ?? osHostname();
    this.#router = new Router({
      routingId: 'router-external',
      linger: 0,
      handover: true,
      tcpKeepalive: 1,
      ipv6: true,
    });
  }

  get thumbprint(): string {
    return this.#thumbprint;
  }

  /** The endpoint actually bound (port resolved when binding to :0). */
  get endpoint(): string | null {
    return this.#router.lastEndpoint;
  }

  async start(): Promise<void> {
    await this.#router.bind(`tcp://${this.#options.bind}`);
    this.#options.log.info('gorgone push-mode listener up', {
      bind: this.#options.bind,
      thumbprint: this.#thumbprint,
    });
    // Parts of transfers a previous run left behind (actions.ts); never rejects.
    if (this.#options.env.processcopy.enabled) {
      void sweepAbandonedCopies(this.#options.env.processcopy, this.#options.log);
    }
    this.#loop = this.#receiveLoop();
    this.#timer = setInterval(
      () => this.#rotate(),
      this.#options.rotationCheckMs ?? ROTATION_CHECK_MS,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#router.close();
    await this.#loop;
    await this.#copies.close(this.#options.log);
  }

  #send(id: Buffer, frame: string): void {
    this.#sendChain = this.#sendChain
      .then(() => this.#router.send([id, frame]))
      .catch((error: unknown) =>
        this.#options.log.warn('gorgone listener send failed', { error: (error as Error).message }),
      );
  }

  async #receiveLoop(): Promise<void> {
    try {
      for await (const [id, payload] of this.#router) {
        if (id === undefined || payload === undefined) continue;
        this.#onFrame(id, payload.toString('latin1'));
      }
    } catch (error) {
      if (!this.#closed)
        this.#options.log.error('gorgone listener stopped', { error: (error as Error).message });
    }
  }

  #onFrame(id: Buffer, frame: string): void {
    const idText = id.toString('latin1');
    // §2: gorgoned drops every routing id not starting with `gorgone-`.
    if (!idText.startsWith('gorgone-')) {
      this.#options.log.warn(
        'gorgone listener: frame from a routing id not starting with gorgone- dropped',
        { bytes: frame.length },
      );
      return;
    }
    const key = id.toString('hex');
    if (frame === GETPUBKEY) {
      this.#send(id, formatPubkey(this.#options.publicKeyPem));
      return;
    }
    const session = this.#sessions.get(key);
    if (session !== undefined) {
      let plain = decryptFrame(session.keys, frame);
      if (plain === undefined || !looksLikeMessage(plain)) {
        plain = session.oldKeys === undefined ? undefined : decryptFrame(session.oldKeys, frame);
      }
      if (plain !== undefined && looksLikeMessage(plain)) {
        session.mtime = Date.now() / 1000;
        this.counters.messages++;
        this.#dispatch(id, session, plain);
        return;
      }
    }
    // §4 step 4: what does not decrypt is a (new) HELO.
    this.#helo(id, key, frame);
  }

  #helo(id: Buffer, key: string, frame: string): void {
    const refuse = (reason: string, fields: Record<string, unknown> = {}): void => {
      this.counters.refused++;
      this.#options.log.warn(`gorgone listener refused a client: ${reason}`, fields);
      this.#send(id, HANDSHAKE_ISSUE);
    };
    const helo = parseHelo(frame);
    if (helo === undefined) return refuse('malformed HELO', { bytes: frame.length });
    const plain = this.#decryptor.decrypt(helo.encryptedHelo);
    if (plain?.toString('latin1') !== 'HELO')
      return refuse('HELO does not decrypt with this agent key', { name: helo.name });
    let clientKey: KeyObject;
    try {
      clientKey = parsePublicKey(helo.clientPem);
    } catch {
      return refuse('client public key not importable', { name: helo.name });
    }
    if (clientKey.asymmetricKeyType !== 'rsa' || rsaBits(clientKey) < MIN_RSA_BITS) {
      return refuse(`client key is not RSA ≥ ${MIN_RSA_BITS} bits`, {
        name: helo.name,
        bits: rsaBits(clientKey),
      });
    }
    const thumbprint = jwkThumbprint(clientKey);
    if (!this.#options.authorizedClients().some((c) => c.thumbprint === thumbprint)) {
      return refuse(
        `client key is not authorized. Thumbprint is '${thumbprint}': add it with \`outpost gorgone authorized add ${thumbprint}\``,
        {
          name: helo.name,
          clientThumbprint: thumbprint,
        },
      );
    }
    const keys = randomSessionKeys(this.#hostname);
    let answer: string;
    try {
      answer = rsaEncrypt(clientKey, formatKeyMessage(keys)).toString('base64');
    } catch {
      return refuse('[KEY] does not fit the client key', { name: helo.name });
    }
    const now = Date.now() / 1000;
    this.#sessions.set(key, { keys, oldKeys: undefined, ctime: now, mtime: now, thumbprint });
    this.counters.handshakes++;
    this.#options.log.info('gorgone listener: central connected', {
      name: helo.name,
      clientThumbprint: thumbprint,
    });
    this.#send(id, answer);
  }

  /** §5: rotate keys older than the rotation period, `[KEY]` under the old key; purge idle sessions. */
  #rotate(): void {
    const now = Date.now() / 1000;
    for (const [hexId, session] of this.#sessions) {
      if (now - session.mtime > SESSION_PURGE_SECONDS) {
        this.#sessions.delete(hexId);
        continue;
      }
      if (now - session.ctime <= this.#options.rotationSeconds) continue;
      const next = randomSessionKeys(this.#hostname);
      const frame = encryptFrame(session.keys, formatKeyMessage(next));
      session.oldKeys = session.keys;
      session.keys = next;
      session.ctime = now;
      this.counters.rotations++;
      this.#send(Buffer.from(hexId, 'hex'), frame);
    }
  }

  #reply(id: Buffer, session: ClientSession, line: string): void {
    this.#send(id, encryptFrame(session.keys, line));
  }

  #dispatch(id: Buffer, session: ClientSession, plain: string): void {
    const message = parseMessage(plain);
    if (message === undefined) {
      this.#reply(
        id,
        session,
        formatResponse('ACK', '', 1, { message: 'request not well formatted' }),
      );
      return;
    }
    // §3: an empty token gets a generated one; the reply carries it.
    const token = message.token === '' ? generateToken() : message.token;
    const data = parseData(message.data);
    const env: NodeActionEnv = { ...this.#options.env, who: `central ${session.thumbprint}` };
    const nodeId = this.#options.nodeId ?? '';
    this.#options.log.debug('gorgone listener request', { action: message.action });
    switch (message.action) {
      case 'PING':
        this.#reply(
          id,
          session,
          formatResponse('PONG', token, 0, {
            action: 'ping',
            message: 'ping ok',
            id: nodeId,
            hostname: this.#hostname,
            data: {},
          }),
        );
        return;
      case 'GETTHUMBPRINT':
        this.#reply(
          id,
          session,
          formatResponse('GETTHUMBPRINT', token, 2, {
            action: 'getthumbprint',
            message: 'ok',
            data: { thumbprint: this.#thumbprint },
          }),
        );
        return;
      case 'CONSTATUS':
        this.#reply(
          id,
          session,
          formatResponse('CONSTATUS', token, 0, { action: 'constatus', message: 'ok', data: {} }),
        );
        return;
      case 'INFORMATION':
        this.#reply(
          id,
          session,
          formatResponse('INFORMATION', token, 0, {
            action: 'information',
            message: 'ok',
            data: {
              version: `outpost ${AGENT_VERSION}`,
              modules: {},
              api_endpoints: {},
              counters: { ...this.counters },
            },
          }),
        );
        return;
      case 'GETLOG': {
        const filter = historyFilterFrom(data);
        try {
          const result = this.#options.env.history.query(filter).map(rowForWire);
          this.#reply(
            id,
            session,
            formatResponse('ACK', token, 0, { action: 'getlog', result, id: nodeId }),
          );
        } catch {
          this.#reply(
            id,
            session,
            formatResponse('ACK', token, 1, {
              action: 'getlog',
              message: 'need at least one filter',
            }),
          );
        }
        return;
      }
      case 'COMMAND':
        this.#reply(id, session, formatResponse('ACK', token, 0, null));
        void runCommandAction(env, token, data).catch((error: unknown) =>
          this.#options.log.error('gorgone COMMAND failed', { error: (error as Error).message }),
        );
        return;
      case 'PROCESSCOPY':
        this.#reply(id, session, formatResponse('ACK', token, 0, null));
        void this.#copies.handle(env, token, data);
        return;
      default:
        // §11: LOADMODULE, KILL, PUTLOG… are deliberately not served: unknown here.
        this.#reply(
          id,
          session,
          formatResponse('ACK', '', 1, {
            error: 'unknown_action',
            message: `action '${message.action}' is unknown`,
          }),
        );
    }
  }
}

/** The `register` module entry the central needs for this push node (§1). */
export function registerSnippet(nodeId: string | undefined, address: string, port: number): string {
  return [
    `- id: ${nodeId ?? '<N>'}`,
    '  type: push_zmq',
    `  address: ${address}`,
    `  port: ${port}`,
  ].join('\n');
}
