/**
 * Issue #14: the push-mode listener under hostile input, over real ZMQ sockets
 * on 127.0.0.1. Raw zeromq DEALERs with `gorgone-` routing ids send what an
 * attacker can (oversized frames, floods of fake HELOs, random bytes) while
 * the authorized central (the spec-only reference client) keeps its session.
 */
import { constants, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { encryptFrame, formatRequest } from '../../../../main/core/protocols/gorgone/codec.ts';
import {
  MAX_FRAME_BYTES,
  MAX_HANDSHAKE_FRAME_BYTES,
  PEER_BURST,
} from '../../../../main/core/protocols/gorgone/listener-guard.ts';
import type { GorgoneReferenceClient } from '../../../peers/gorgone-server.ts';
import {
  processCopyMessages,
  referenceCentral,
  startTestListener,
  testKey,
  type Cleanups,
} from './helpers.ts';
import { eventually } from '../../../poll.ts';
import { makeTempDirSync } from '../../../peers/util.ts';

type Key = Awaited<ReturnType<typeof testKey>>;
let agentKey: Key;
let centralKey: Key;
let strangerKey: Key;
const cleanups: Cleanups = [];
const HANDSHAKE_ISSUE = '[ACK] [] {"code":1,"data":{"message":"handshake issue"}}';

beforeAll(async () => {
  [agentKey, centralKey, strangerKey] = await Promise.all([testKey(), testKey(), testKey()]);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startListener(options: Parameters<typeof startTestListener>[2] = {}) {
  return startTestListener(cleanups, { agent: agentKey, central: centralKey }, options);
}

/** The authorized central, handshaken. */
async function authorizedCentral(endpoint: string): Promise<GorgoneReferenceClient> {
  const client = referenceCentral(cleanups, endpoint);
  const hs = await client.handshake(centralKey);
  expect(hs.failure).toBeUndefined();
  return client;
}

/** A raw DEALER (what an attacker runs) that counts the frames it gets back. */
function attacker(endpoint: string, prefix = 'gorgone-') {
  const dealer = new Dealer({
    routingId: `${prefix}${randomBytes(12).toString('hex')}`,
    linger: 0,
  });
  dealer.connect(endpoint);
  cleanups.push(() => dealer.close());
  const answers: string[] = [];
  void (async () => {
    try {
      for await (const [frame] of dealer) answers.push(frame!.toString('latin1'));
    } catch {
      // closed
    }
  })();
  return { dealer, answers };
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64');

/** `[name] [b64(pem)] [b64(block)]`: a HELO whose RSA block is whatever the attacker likes. */
function fakeHelo(pem: string, block: Buffer = randomBytes(256)): string {
  return `[gorgone-proxy] [${b64(pem)}] [${b64(block)}]`;
}

async function pingsAllAnswered(client: GorgoneReferenceClient, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect(await client.request(`[PING] [p${i}] [] {}`)).toMatch(
      new RegExp(`^\\[PONG\\] \\[p${i}\\] \\[\\] \\{"code":0`),
    );
  }
}

function refusalLines(lines: Array<{ level: string; message: string }>) {
  return lines.filter((l) => l.level === 'warn' && l.message.startsWith('gorgone listener'));
}

describe('push-mode listener under attack (issue #14)', () => {
  it('a frame over the size cap is dropped by libzmq from its header (connection closed, nothing read, nothing answered); the central keeps its session', async () => {
    const { endpoint, listener, lines } = await startListener();
    const central = await authorizedCentral(endpoint);
    const before = { ...listener.counters };
    const { dealer, answers } = attacker(endpoint);
    const disconnected = new Promise<void>((resolve) =>
      dealer.events.on('disconnect', () => resolve()),
    );
    await dealer.send(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x41));
    await disconnected;
    await pingsAllAnswered(central, 3);
    expect(answers).toEqual([]);
    expect(listener.counters.unauthenticated).toBe(before.unauthenticated);
    expect(refusalLines(lines)).toEqual([]);
  });

  it('the biggest frame a central sends (a 500 000-byte PROCESSCOPY chunk with 4 KiB paths) fits under the cap and is served', async () => {
    const temp = makeTempDirSync('gorgone');
    cleanups.push(temp.cleanup);
    const { endpoint, listener } = await startListener({
      processcopy: { enabled: true, destination: temp.dir },
    });
    const central = await authorizedCentral(endpoint);
    // 19 folders of 200 characters + the file name: a 3 8xx-character destination.
    const destination = [...Array.from({ length: 19 }, (_, i) => `${i}`.padEnd(200, 'd')), 'f.cfg'];
    const [chunk] = processCopyMessages(randomBytes(500_000), {
      type: 'regular',
      destination: destination.join('/'),
    }) as [{ content: Record<string, unknown> }];
    chunk.content.cache_dir = `/${'c'.repeat(4_095)}`;
    const before = listener.counters.unauthenticated;
    const line = formatRequest('PROCESSCOPY', 't'.repeat(128), '12', chunk);
    // The frame our cap has to let through: most of it.
    expect(encryptFrame(central.keys!, line).length).toBeGreaterThan(0.85 * MAX_FRAME_BYTES);
    expect(await central.request(line)).toBe(`[ACK] [${'t'.repeat(128)}] {"code":0,"data":null}`);
    expect(listener.counters.unauthenticated).toBe(before);
  });

  it('a flood of 1 000 fake HELOs from 100 peers: every PING of the central gets its PONG; RSA work, answers and log lines stay within their budgets', async () => {
    const { endpoint, listener, lines } = await startListener({
      // 5 ms of RSA for the whole flood, never refilled: what it buys depends on the machine,
      // so the assertions below are bounds, not counts.
      guard: {
        rsaBudget: { burstMs: 5, msPerSecond: 0 },
        refusalLog: { lines: 10, windowMs: 60_000 },
      },
    });
    const central = await authorizedCentral(endpoint);
    const decryptionsBefore = listener.counters.heloDecryptions;
    // Half the peers present the authorized central's public key (it is no secret): only those
    // reach the RSA step. The other half present a stranger's key.
    const peers = Array.from({ length: 100 }, (_, i) => ({
      ...attacker(endpoint),
      pem: i % 2 === 0 ? centralKey.publicKeyPem : strangerKey.publicKeyPem,
    }));
    const flood = Promise.all(
      peers.map(async ({ dealer, pem }) => {
        for (let i = 0; i < 10; i++) await dealer.send(fakeHelo(pem));
      }),
    );
    await pingsAllAnswered(central, 50);
    await flood;
    await eventually(() => listener.counters.refused + listener.counters.throttled === 1_000, {
      timeout: 20_000,
      interval: 25,
    });
    // Every refusal is answered: wait for the answers still on their way.
    await eventually(
      () => peers.reduce((sum, p) => sum + p.answers.length, 0) === listener.counters.refused,
      { timeout: 5_000, interval: 25 },
    );
    await pingsAllAnswered(central, 5);

    const decryptions = listener.counters.heloDecryptions - decryptionsBefore;
    expect(decryptions).toBeGreaterThan(0);
    expect(decryptions).toBeLessThanOrEqual(100);
    // Per peer: PEER_BURST frames are looked at, the others dropped unanswered.
    expect(listener.counters.throttled).toBeGreaterThanOrEqual(100 * (10 - PEER_BURST - 1));
    for (const { answers } of peers) {
      expect(answers.length).toBeLessThanOrEqual(PEER_BURST + 1);
      // HELOs with the central's key past the RSA budget get no answer at all.
      for (const answer of answers) expect(answer).toBe(HANDSHAKE_ISSUE);
    }
    expect(refusalLines(lines)).toHaveLength(10);
  });

  it('one peer over its budget: PEER_BURST frames answered, the rest dropped unanswered', async () => {
    const { endpoint, listener } = await startListener();
    const { dealer, answers } = attacker(endpoint);
    for (let i = 0; i < 50; i++) await dealer.send(`garbage ${i}`);
    await eventually(() => listener.counters.refused + listener.counters.throttled === 50, {
      timeout: 5_000,
      interval: 25,
    });
    // One more token may have dripped in while the 50 frames were read.
    expect(answers.length).toBeGreaterThanOrEqual(PEER_BURST);
    expect(answers.length).toBeLessThanOrEqual(PEER_BURST + 1);
    expect(listener.counters.throttled).toBe(50 - answers.length);
  });

  it('cheap checks before the RSA operation: a stranger key, or a block that is not the size of our key, costs no decryption', async () => {
    const { endpoint, listener, lines } = await startListener();
    const { dealer, answers } = attacker(endpoint);
    // Refused as it is read, before the queue the others wait in: sent first to keep the order.
    const long = `[gorgone-proxy] [${'A'.repeat(MAX_HANDSHAKE_FRAME_BYTES)}] [AAAA]`;
    await dealer.send(long);
    await dealer.send(fakeHelo(strangerKey.publicKeyPem));
    await dealer.send(fakeHelo(centralKey.publicKeyPem, randomBytes(255)));
    await dealer.send(fakeHelo(agentKey.privateKeyPem));
    await eventually(() => (answers.length === 4 ? true : undefined), {
      timeout: 5_000,
      interval: 25,
    });
    expect(answers).toEqual(Array(4).fill(HANDSHAKE_ISSUE));
    expect(listener.counters.heloDecryptions).toBe(0);
    expect(refusalLines(lines).map((l) => l.message)).toEqual([
      `gorgone listener refused a client: a ${long.length}-byte frame is not a handshake`,
      `gorgone listener refused a client: client key is not authorized. Thumbprint is '${strangerKey.thumbprint}': add it with \`outpost gorgone authorized add ${strangerKey.thumbprint}\``,
      "gorgone listener refused a client: the encrypted HELO is 255 bytes, not the 256 of this agent's key",
      'gorgone listener refused a client: client key is not a PEM public key',
    ]);
  });

  it('refusal lines past the budget are counted and summed up in one line per window', async () => {
    const { endpoint, lines } = await startListener({
      guard: { refusalLog: { lines: 3, windowMs: 1_000 } },
    });
    for (let i = 0; i < 12; i++) await attacker(endpoint).dealer.send('garbage');
    await attacker(endpoint, 'desktop-').dealer.send('[GETPUBKEY]');
    const summary = await eventually(
      () => lines.find((l) => l.message.includes('more refused or dropped')),
      { timeout: 5_000, interval: 25 },
    );
    expect(summary.message).toBe(
      'gorgone listener: 10 more refused or dropped unauthenticated frames were not logged in the last 1 s',
    );
    expect(refusalLines(lines)).toHaveLength(4);
  });

  it('random and hostile frames never stop the listener (fast-check over a real socket)', async () => {
    const { endpoint, listener } = await startListener();
    const central = await authorizedCentral(endpoint);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const agentPublic = agentKey.publicKeyPem;
    const pem = fc.oneof(
      fc.constantFrom(
        centralKey.publicKeyPem,
        strangerKey.publicKeyPem,
        agentKey.privateKeyPem,
        weak.export({ type: 'spki', format: 'pem' }).toString(),
        ec.export({ type: 'spki', format: 'pem' }).toString(),
        '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
        '-----BEGIN RSA PUBLIC KEY-----\n',
      ),
      fc.string({ maxLength: 300 }),
    );
    const block = fc.oneof(
      fc.uint8Array({ minLength: 256, maxLength: 256 }).map((b) => Buffer.from(b)),
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
      fc
        .constantFrom('HELO', 'HELP', '')
        .map((text) =>
          publicEncrypt(
            { key: agentPublic, padding: constants.RSA_PKCS1_PADDING },
            Buffer.from(text),
          ),
        ),
    );
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 2_048 }).map((b) => Buffer.from(b)),
      fc
        .constantFrom('[GETPUBKEY]', '[GETPUBKEY] ', '[', '[] [] []', '')
        .map((s) => Buffer.from(s)),
      fc
        .tuple(fc.string({ maxLength: 60 }), pem, block)
        .map(([name, p, b]) => Buffer.from(`[${name}] [${b64(p)}] [${b64(b)}]`)),
      fc.uint8Array({ minLength: 16, maxLength: 512 }).map((b) => Buffer.from(b64(Buffer.from(b)))),
      fc
        .integer({ min: MAX_HANDSHAKE_FRAME_BYTES, max: 4 * MAX_HANDSHAKE_FRAME_BYTES })
        .map((n) => Buffer.alloc(n, '[')),
    );
    let sent = listener.counters.unauthenticated;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
        const { dealer } = attacker(endpoint);
        for (const f of frames) await dealer.send(f);
        sent += frames.length;
        // Every frame read is handled as exactly one of these (the queue works one per turn).
        await eventually(
          () => {
            const { unauthenticated, pubkeys, handshakes, refused, throttled } = listener.counters;
            return unauthenticated === sent && pubkeys + handshakes + refused + throttled === sent;
          },
          { timeout: 5_000, interval: 25 },
        );
        expect(await central.request('[PING] [fz] [] {}')).toMatch(/^\[PONG\] \[fz\] \[\] /);
        // One ZMQ context holds at most 1 024 sockets: each run closes its own.
        dealer.close();
      }),
      { numRuns: 60 },
    );
  });
});
