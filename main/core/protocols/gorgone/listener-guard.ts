/**
 * What the push-mode listener does with frames from peers that have no
 * session yet, before any costly work (issue #14): frame size caps, a budget
 * per peer, a budget of RSA private-key work for the whole listener, a budget
 * of log lines, and the cheap checks of a HELO (gorgone.md §4 step 2) that
 * come before its decryption.
 *
 * zeromq.js does not tell a ROUTER the peer's address, so a "peer" is a
 * routing id (what gorgone keys its sessions by, §2).
 */
import type { KeyObject } from 'node:crypto';
import { jwkThumbprint, MIN_RSA_BITS, parsePublicKey, rsaBits } from '../../identity/keys.ts';
import { parseHelo, type ParsedHelo } from './codec.ts';

/**
 * The biggest frame a central sends is a PROCESSCOPY chunk (§8: 500 000 bytes
 * base64-encoded with a newline every 76 characters, 684 214 bytes once
 * JSON-escaped), plus the request's JSON (4 KiB paths at most), AES padding
 * and base64 again: about 924 000 bytes. libzmq refuses a bigger frame from
 * its size header, before allocating it, and drops that connection.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;
/**
 * Frames a ROUTER queues per connection while the event loop is busy: with
 * MAX_FRAME_BYTES, 32 MiB at most. Inbound, a full queue makes libzmq stop
 * reading that connection (TCP back-pressure); nothing is dropped.
 */
export const RECEIVE_HIGH_WATER_MARK = 32;
/**
 * `[GETPUBKEY]` or a HELO: a name, the base64 of a public key PEM (a
 * 16384-bit key is under 4 KiB) and of one RSA block. Longer frames from a
 * peer without a session are refused without being parsed.
 */
export const MAX_HANDSHAKE_FRAME_BYTES = 16 * 1024;

/**
 * Unauthenticated frames waiting for their turn (one per event-loop turn);
 * beyond, dropped. A real handshake is 2 frames; a flood fills it at once.
 */
export const HANDSHAKE_QUEUE_LENGTH = 32;

/** Unauthenticated frames one routing id may send: a handshake is 2 (GETPUBKEY, HELO). */
export const PEER_BURST = 6;
/** …then one more every 5 s. */
export const PEER_REFILL_PER_SECOND = 0.2;
/** Routing ids tracked at once; beyond, the least recently seen are forgotten. */
export const MAX_TRACKED_PEERS = 10_000;

/**
 * RSA private-key work the listener spends on HELOs, in milliseconds of wall
 * time: one operation whenever the budget is positive (it holds 1 ms, so one
 * at a time; its measured cost is then paid off), refilled at 50 ms per second
 * (5 % of a core). A 4096-bit HELO costs ~2 ms with node:crypto: one every
 * ~45 ms under a flood, spread out between the central's requests; with the
 * node-forge fallback (~600 ms) one every ~12 s. Measured, not counted, so
 * that the cap holds whatever the engine and key size.
 */
export const RSA_BUDGET = { burstMs: 1, msPerSecond: 50 } as const;

/** Refusal and throttling log lines: 10 a minute, then one summary line. */
export const REFUSAL_LOG_BUDGET = { lines: 10, windowMs: 60_000 } as const;

/** A token bucket: `capacity` tokens, refilled continuously at `perSecond`. */
export class TokenBucket {
  readonly #capacity: number;
  readonly #perSecond: number;
  #tokens: number;
  #at: number;

  constructor(capacity: number, perSecond: number, now: number) {
    this.#capacity = capacity;
    this.#perSecond = perSecond;
    this.#tokens = capacity;
    this.#at = now;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at) / 1000;
    this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#perSecond);
    this.#at = now;
  }

  /** Takes `cost` tokens when that many are there. */
  take(cost: number, now: number): boolean {
    this.#refill(now);
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /** Some budget is left (a cost measured afterwards may overdraw it). */
  positive(now: number): boolean {
    this.#refill(now);
    return this.#tokens > 0;
  }

  /** Spends a cost known only after the work; the bucket may go negative (a debt). */
  spend(cost: number, now: number): void {
    this.#refill(now);
    this.#tokens -= cost;
  }

  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#capacity;
  }
}

/** One bucket per routing id, at most MAX_TRACKED_PEERS of them. */
export class PeerBudgets {
  readonly #peers = new Map<string, TokenBucket>();
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #max: number;

  constructor(
    burst = PEER_BURST,
    perSecond = PEER_REFILL_PER_SECOND,
    maxPeers = MAX_TRACKED_PEERS,
  ) {
    this.#burst = burst;
    this.#perSecond = perSecond;
    this.#max = maxPeers;
  }

  get size(): number {
    return this.#peers.size;
  }

  take(peer: string, now: number): boolean {
    let bucket = this.#peers.get(peer);
    if (bucket === undefined) {
      if (this.#peers.size >= this.#max) this.#peers.delete(this.#peers.keys().next().value!);
      bucket = new TokenBucket(this.#burst, this.#perSecond, now);
    } else {
      this.#peers.delete(peer);
    }
    // Re-inserted: the Map's order is the order of last use, oldest first.
    this.#peers.set(peer, bucket);
    return bucket.take(1, now);
  }

  /** Forgets peers whose bucket refilled: they would start full anyway. */
  prune(now: number): void {
    for (const [peer, bucket] of this.#peers) if (bucket.full(now)) this.#peers.delete(peer);
  }
}

/** At most `lines` log lines per window; what is left out is counted for one summary line. */
export class LogBudget {
  readonly #lines: number;
  readonly #windowMs: number;
  #windowStart: number;
  #used = 0;
  #suppressed = 0;

  constructor(lines: number, windowMs: number, now: number) {
    this.#lines = lines;
    this.#windowMs = windowMs;
    this.#windowStart = now;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /** True when this line may be logged; otherwise it is counted. */
  take(now: number): boolean {
    if (now - this.#windowStart >= this.#windowMs && this.#suppressed === 0) {
      this.#windowStart = now;
      this.#used = 0;
    }
    if (this.#used < this.#lines) {
      this.#used++;
      return true;
    }
    this.#suppressed++;
    return false;
  }

  /** Once the window is over: how many lines were left out (0 when none), and a new window. */
  drain(now: number): number {
    if (now - this.#windowStart < this.#windowMs) return 0;
    const suppressed = this.#suppressed;
    this.#windowStart = now;
    this.#used = 0;
    this.#suppressed = 0;
    return suppressed;
  }
}

/** gorgone's key files say PUBLIC KEY or (mislabelled, §4 step 1) RSA PUBLIC KEY. */
const PUBLIC_KEY_ARMOR = /^\s*-----BEGIN (?:RSA )?PUBLIC KEY-----/;

export type HeloScreening =
  | { refused: string; fields: Record<string, unknown> }
  | { refused?: undefined; helo: ParsedHelo; clientKey: KeyObject; thumbprint: string };

/**
 * §4 step 2 without the private key: the frame's shape, the size of the RSA
 * block, the client key (RSA ≥ MIN_RSA_BITS) and its thumbprint in
 * authorized_clients. Only a HELO that passes may cost a decryption. (gorgone
 * decrypts first; the answer to a refusal is the same `handshake issue`.)
 */
export function screenHelo(
  frame: string,
  modulusBytes: number,
  isAuthorized: (thumbprint: string) => boolean,
): HeloScreening {
  const helo = parseHelo(frame);
  if (helo === undefined) return { refused: 'malformed HELO', fields: { bytes: frame.length } };
  if (helo.encryptedHelo.length !== modulusBytes) {
    return {
      refused: `the encrypted HELO is ${helo.encryptedHelo.length} bytes, not the ${modulusBytes} of this agent's key`,
      fields: { name: helo.name },
    };
  }
  // A public key block only: no private key or certificate parsing for strangers.
  if (!PUBLIC_KEY_ARMOR.test(helo.clientPem)) {
    return { refused: 'client key is not a PEM public key', fields: { name: helo.name } };
  }
  let clientKey: KeyObject;
  try {
    clientKey = parsePublicKey(helo.clientPem);
  } catch {
    return { refused: 'client public key not importable', fields: { name: helo.name } };
  }
  if (clientKey.asymmetricKeyType !== 'rsa' || rsaBits(clientKey) < MIN_RSA_BITS) {
    return {
      refused: `client key is not RSA ≥ ${MIN_RSA_BITS} bits`,
      fields: { name: helo.name, bits: rsaBits(clientKey) },
    };
  }
  const thumbprint = jwkThumbprint(clientKey);
  if (!isAuthorized(thumbprint)) {
    return {
      refused: `client key is not authorized. Thumbprint is '${thumbprint}': add it with \`outpost gorgone authorized add ${thumbprint}\``,
      fields: { name: helo.name, clientThumbprint: thumbprint },
    };
  }
  return { helo, clientKey, thumbprint };
}
