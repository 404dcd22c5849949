/**
 * Gorgone frames (gorgone.md §3–§6): pure functions, no sockets, no timers.
 * Everything that parses network input here returns `undefined` or throws an
 * AgentError('protocol'); random bytes never crash it (tests/core/protocols/gorgone/properties.test.ts).
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import forge from 'node-forge';
import { AgentError } from '../../contract/errors.ts';
import { jwkThumbprint, MIN_RSA_BITS, parsePublicKey, rsaBits } from '../../identity/keys.ts';

/** A line of the encrypted channel: `[ACTION] [TOKEN] [TARGET] DATA` (§3). */
export interface GorgoneMessage {
  action: string;
  token: string;
  /** Absent in core responses (`[ACK] [t] {…}`), present in requests and PONG/SYNCLOGS. */
  target: string | undefined;
  /** Raw DATA text (JSON), '' when there is none. */
  data: string;
}

/** Session key material from a `[KEY]` message (§4 step 3). Never logged. */
export interface SessionKeys {
  key: Buffer;
  iv: Buffer;
  hostname: string;
}

/** Core answer types a server sends back to a client request (§3 "TYPE is ACK unless…"). */
export const RESPONSE_TYPES: ReadonlySet<string> = new Set([
  'ACK',
  'PONG',
  'GETTHUMBPRINT',
  'CONSTATUS',
  'INFORMATION',
  'LOADMODULE',
  'UNLOADMODULE',
]);

/** Result codes (gorgone/standard/constants.pm, §3). */
export const CODE = {
  BEGIN: 0,
  FINISH_KO: 1,
  FINISH_OK: 2,
  COMMAND_RESULT: 100,
  PROCESSCOPY_INPROGRESS: 101,
} as const;

// §3: ACTION is letters, '_' and '-'; TOKEN and TARGET are free text without ']'.
// 22.10's regex does not let '.' match a newline, so DATA is one line.
const MESSAGE = /^\[([A-Za-z_-]+)\]\s+\[([^\]]*)\](?:\s+\[([^\]"]*)\])?(?:\s+(.*))?$/;
const SANITY = /^\[[A-Za-z_-]+\]/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseMessage(line: string): GorgoneMessage | undefined {
  const m = MESSAGE.exec(line);
  if (m === null) return undefined;
  return { action: m[1]!, token: m[2]!, target: m[3], data: m[4] ?? '' };
}

/** `[ACTION] [TOKEN] [TARGET] DATA`; DATA must be one line (§3). */
export function formatRequest(
  action: string,
  token: string,
  target: string,
  data: unknown = {},
): string {
  assertField(action, /^[A-Za-z_-]+$/, 'action');
  assertField(token, /^[^\]\n]*$/, 'token');
  assertField(target, /^[^\]\n]*$/, 'target');
  return `[${action}] [${token}] [${target}] ${jsonLine(data)}`;
}

/**
 * Core response `[TYPE] [TOKEN] {"code":…,"data":…}`; PONG and SYNCLOGS carry an
 * empty target `[]` so that gorgone's proxy parses them like requests (§3).
 */
export function formatResponse(type: string, token: string, code: number, data: unknown): string {
  const body = jsonLine({ code, data });
  return type === 'PONG' || type === 'SYNCLOGS' || type === 'SETLOGS'
    ? `[${type}] [${token}] [] ${body}`
    : `[${type}] [${token}] ${body}`;
}

/** Compact JSON; JSON escapes keep any newline inside strings on one line. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value ?? {});
}

/** DATA as JSON, or undefined when it is not JSON (several handlers need an object). */
export function parseData(data: string): unknown {
  if (data.trim() === '') return {};
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

/** The server's sanity check after decryption (§4 step 4): looks like `[ACTION] …`. */
export function looksLikeMessage(plaintext: string): boolean {
  return SANITY.test(plaintext);
}

// ---- base64 (§2: standard alphabet, '=' padding, no line breaks) -----------

export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length === 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

// ---- AES-CBC channel (§4 step 4) --------------------------------------------

function aesCipherName(key: Buffer): string {
  if (key.length === 16 || key.length === 24 || key.length === 32)
    return `aes-${key.length * 8}-cbc`;
  throw new AgentError('protocol', `session key must be 16, 24 or 32 bytes (got ${key.length})`);
}

/** One KeyObject per session key: building it from the Buffer on every frame shows in profiles. */
const secretKeys = new WeakMap<Buffer, KeyObject>();

function secretKeyOf(key: Buffer): KeyObject {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = createSecretKey(key);
    secretKeys.set(key, secret);
  }
  return secret;
}

/** b64(AES-CBC(key, iv, PKCS#7, line)); deterministic: same key and IV for every frame (§4, §11). */
export function encryptFrame(keys: Pick<SessionKeys, 'key' | 'iv'>, line: string): string {
  const cipher = createCipheriv(aesCipherName(keys.key), secretKeyOf(keys.key), keys.iv);
  return Buffer.concat([cipher.update(line, 'utf8'), cipher.final()]).toString('base64');
}

/** Decrypts one frame; undefined when it is not base64, not a whole block, or the padding is wrong. */
export function decryptFrame(
  keys: Pick<SessionKeys, 'key' | 'iv'>,
  frame: string,
): string | undefined {
  const bytes = decodeBase64Strict(frame);
  if (bytes === undefined || bytes.length === 0 || bytes.length % 16 !== 0) return undefined;
  try {
    const decipher = createDecipheriv(aesCipherName(keys.key), secretKeyOf(keys.key), keys.iv);
    return Buffer.concat([decipher.update(bytes), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export function randomSessionKeys(hostname: string, keyBytes = 32): SessionKeys {
  return { key: randomBytes(keyBytes), iv: randomBytes(16), hostname };
}

// ---- RSA (§4: RSAES-PKCS1-v1_5 both ways) -------------------------------------

/** node:crypto still encrypts with PKCS#1 v1.5 (only decryption was removed, §11). */
export function rsaEncrypt(publicKey: KeyObject, data: Buffer | string): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(data));
}

/**
 * A private key able to decrypt PKCS#1 v1.5. node:crypto refuses that since the
 * Marvin fix (CVE-2023-46809, §11) unless its OpenSSL does implicit rejection
 * (Node 24 does; Node 20 and Electron builds may not). node-forge always can,
 * but in pure JS: ~100 ms for a 2048-bit key, ~600 ms for 4096 bits. So the
 * runtime is probed once per key and forge is the fallback (and the reference
 * the tests compare against).
 */
export interface RsaDecryptor {
  bits: number;
  engine: 'node' | 'forge';
  decrypt(ciphertext: Buffer): Buffer | undefined;
}

export function rsaDecryptor(privateKeyPem: string, engine?: 'node' | 'forge'): RsaDecryptor {
  const privateKey = createPrivateKey(privateKeyPem);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  const size = Math.ceil(bits / 8);
  const chosen = engine ?? (nodeDecryptsPkcs1(privateKey) ? 'node' : 'forge');
  if (chosen === 'node') {
    return {
      bits,
      engine: 'node',
      decrypt(ciphertext) {
        if (ciphertext.length !== size) return undefined;
        try {
          // With implicit rejection a bad padding yields random bytes, not an error:
          // callers check the plaintext's shape ("HELO", `[KEY] {…}`) either way.
          return privateDecrypt(
            { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
            ciphertext,
          );
        } catch {
          return undefined;
        }
      },
    };
  }
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  return {
    bits,
    engine: 'forge',
    decrypt(ciphertext) {
      if (ciphertext.length !== size) return undefined;
      try {
        return Buffer.from(
          key.decrypt(ciphertext.toString('binary'), 'RSAES-PKCS1-V1_5'),
          'binary',
        );
      } catch {
        return undefined;
      }
    },
  };
}

function nodeDecryptsPkcs1(privateKey: KeyObject): boolean {
  try {
    const probe = rsaEncrypt(createPublicKey(privateKey), 'probe');
    return (
      privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
        probe,
      ).toString() === 'probe'
    );
  } catch {
    return false;
  }
}

/** Refuses keys below MIN_RSA_BITS: a 1024-bit client cannot even receive [KEY] (§4 step 3). */
export function assertKeyStrength(key: KeyObject, whose: string): void {
  const bits = rsaBits(key);
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw new AgentError(
      'untrusted-peer',
      `${whose} is a ${bits}-bit ${key.asymmetricKeyType ?? 'unknown'} key: Gorgone needs RSA keys of at least ${MIN_RSA_BITS} bits`,
    );
  }
}

// ---- handshake messages (§4) ---------------------------------------------------

export const GETPUBKEY = '[GETPUBKEY]';
/** Plaintext failure answer to a bad HELO or an unauthorized key (§4). */
export const HANDSHAKE_ISSUE = '[ACK] [] {"code":1,"data":{"message":"handshake issue"}}';

export function formatPubkey(publicKeyPem: string): string {
  return `[PUBKEY] [${Buffer.from(publicKeyPem, 'utf8').toString('base64')}]`;
}

/** `[PUBKEY] [b64(pem)]` → the server key (its PEM may be the mislabelled SPKI, §4 step 1). */
export function parsePubkey(
  line: string,
): { pem: string; key: KeyObject; thumbprint: string } | undefined {
  const m = /^\[PUBKEY\]\s+\[([^\]]+)\]$/.exec(line.trim());
  if (m === null) return undefined;
  const bytes = decodeBase64Strict(m[1]!);
  if (bytes === undefined) return undefined;
  const pem = bytes.toString('utf8');
  try {
    const key = parsePublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') return undefined;
    return { pem, key, thumbprint: jwkThumbprint(key) };
  } catch {
    return undefined;
  }
}

/** `[<name>] [b64(client pub PEM)] [b64(RSA(server pub, "HELO"))]` (§4 step 2). */
export function formatHelo(name: string, clientPublicKeyPem: string, serverKey: KeyObject): string {
  assertField(name, /^[^\]\n]+$/, 'name');
  const pem = Buffer.from(clientPublicKeyPem, 'utf8').toString('base64');
  const helo = rsaEncrypt(serverKey, 'HELO').toString('base64');
  return `[${name}] [${pem}] [${helo}]`;
}

export interface ParsedHelo {
  name: string;
  clientPem: string;
  encryptedHelo: Buffer;
}

/** The server's HELO regex `\[(.+)\]\s+\[(.+)\]\s+\[(.+)\]$` (§4 step 2). */
export function parseHelo(line: string): ParsedHelo | undefined {
  const m = /^\[([^\]]+)\]\s+\[([A-Za-z0-9+/=]+)\]\s+\[([A-Za-z0-9+/=]+)\]$/.exec(line);
  if (m === null) return undefined;
  const pem = decodeBase64Strict(m[2]!);
  const helo = decodeBase64Strict(m[3]!);
  if (pem === undefined || helo === undefined) return undefined;
  return { name: m[1]!, clientPem: pem.toString('utf8'), encryptedHelo: helo };
}

/** `[KEY] {"hostname","cipher":"AES","padding":1,"key":hex,"iv":hex}` (§4 step 3, §5). */
export function formatKeyMessage(keys: SessionKeys): string {
  return `[KEY] ${JSON.stringify({
    hostname: keys.hostname,
    cipher: 'AES',
    padding: 1,
    key: keys.key.toString('hex'),
    iv: keys.iv.toString('hex'),
  })}`;
}

/** Parses `[KEY] {…}`; we accept only AES with PKCS#7 padding and 16/24/32-byte keys (§4 step 3). */
export function parseKeyMessage(text: string): SessionKeys | undefined {
  const m = /^\[KEY\]\s+(\{.*\})\s*$/s.exec(text);
  if (m === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(m[1]!);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { cipher, padding, key, iv, hostname } = json as Record<string, unknown>;
  if (cipher !== 'AES' || Number(padding) !== 1) return undefined;
  if (typeof key !== 'string' || !/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$/.test(key))
    return undefined;
  if (typeof iv !== 'string' || !/^[0-9a-fA-F]{32}$/.test(iv)) return undefined;
  return {
    key: Buffer.from(key, 'hex'),
    iv: Buffer.from(iv, 'hex'),
    hostname: typeof hostname === 'string' ? hostname : '',
  };
}

/** RSA-decrypts the server's `[KEY]` answer (§4 step 3) with our private key. */
export function decryptKeyAnswer(frame: string, decryptor: RsaDecryptor): SessionKeys | undefined {
  const bytes = decodeBase64Strict(frame);
  if (bytes === undefined) return undefined;
  const plain = decryptor.decrypt(bytes);
  return plain === undefined ? undefined : parseKeyMessage(plain.toString('utf8'));
}

/** 128 lowercase hex chars, like gorgone's generate_token (§3). */
export function generateToken(): string {
  return randomBytes(64).toString('hex');
}

/** `gorgone-<base>-<24 hex>`: the server drops any routing id not starting with `gorgone-` (§2). */
export function routingId(base: string): string {
  assertField(base, /^[A-Za-z0-9_.-]+$/, 'routing id');
  return `gorgone-${base}-${randomBytes(12).toString('hex')}`;
}

/** The YAML line an admin pastes under `gorgonecore.authorized_clients` (§6). */
export function authorizedClientsLine(thumbprint: string): string {
  return `- key: ${thumbprint}`;
}

function assertField(value: string, pattern: RegExp, field: string): void {
  if (!pattern.test(value)) {
    throw new AgentError(
      'invalid-request',
      `Gorgone ${field} '${value}' contains characters the frame format forbids`,
      {
        field,
      },
    );
  }
}
