/**
 * fast-check on what the listener does before any costly work (listener-guard.ts):
 * the HELO screening never throws and lets through only a well-formed HELO
 * from an authorized RSA key with a block of our key's size; the budgets never
 * grant more than they hold.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../../../main/core/identity/keys.ts';
import { formatHelo } from '../../../../main/core/protocols/gorgone/codec.ts';
import {
  LogBudget,
  PeerBudgets,
  screenHelo,
  TokenBucket,
} from '../../../../main/core/protocols/gorgone/listener-guard.ts';
import { testKey } from './helpers.ts';

type Key = Awaited<ReturnType<typeof testKey>>;
let agentKey: Key;
let centralKey: Key;
let strangerKey: Key;

beforeAll(async () => {
  [agentKey, centralKey, strangerKey] = await Promise.all([testKey(), testKey(), testKey()]);
});

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64');

describe('HELO screening (gorgone.md §4 step 2, before the RSA operation)', () => {
  it('never throws on random or hostile frames, and accepts only an authorized RSA key with a 256-byte block', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const pems = [
      centralKey.publicKeyPem,
      strangerKey.publicKeyPem,
      agentKey.privateKeyPem,
      weak.export({ type: 'spki', format: 'pem' }).toString(),
      ec.export({ type: 'spki', format: 'pem' }).toString(),
      // gorgone's mislabelled SPKI (§4 step 1)
      centralKey.publicKeyPem.replaceAll('PUBLIC KEY', 'RSA PUBLIC KEY'),
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
    ];
    const helo = fc
      .tuple(
        fc.string({ maxLength: 40 }),
        fc.oneof(fc.constantFrom(...pems), fc.string({ maxLength: 200 })),
        fc.oneof(
          fc.uint8Array({ minLength: 256, maxLength: 256 }),
          fc.uint8Array({ maxLength: 600 }),
        ),
      )
      .map(([name, pem, block]) => `[${name}] [${b64(pem)}] [${b64(Buffer.from(block))}]`);
    const frame = fc.oneof(
      helo,
      fc.string(),
      fc.uint8Array({ maxLength: 1_000 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const authorized = (t: string) => t === centralKey.thumbprint;
    fc.assert(
      fc.property(frame, (text) => {
        const screened = screenHelo(text, 256, authorized);
        if (screened.refused === undefined) {
          expect(screened.thumbprint).toBe(centralKey.thumbprint);
          expect(screened.helo.encryptedHelo).toHaveLength(256);
        } else {
          expect(screened.refused).not.toBe('');
        }
      }),
      { numRuns: 1_500 },
    );
  });

  it('lets a real HELO through, with its name, key and block', () => {
    const text = formatHelo(
      'gorgone-proxy',
      centralKey.publicKeyPem,
      parsePublicKey(agentKey.publicKeyPem),
    );
    const screened = screenHelo(text, 256, (t) => t === centralKey.thumbprint);
    expect(screened.refused).toBeUndefined();
    if (screened.refused === undefined) {
      expect(screened.helo.name).toBe('gorgone-proxy');
      expect(screened.thumbprint).toBe(centralKey.thumbprint);
    }
    expect(screenHelo(text, 512, () => true).refused).toBe(
      "the encrypted HELO is 256 bytes, not the 512 of this agent's key",
    );
    expect(screenHelo(text, 256, () => false).refused).toMatch(/^client key is not authorized/);
  });
});

describe('budgets', () => {
  const step = fc.record({
    advanceMs: fc.integer({ min: 0, max: 2_000 }),
    cost: fc.integer({ min: 1, max: 3 }),
  });

  it('a token bucket grants at most its capacity plus what refilled', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.array(step, { maxLength: 200 }),
        (capacity, perSecond, steps) => {
          const bucket = new TokenBucket(capacity, perSecond, 0);
          let now = 0;
          let granted = 0;
          for (const { advanceMs, cost } of steps) {
            now += advanceMs;
            if (bucket.take(cost, now)) granted += cost;
          }
          expect(granted).toBeLessThanOrEqual(capacity + (now / 1000) * perSecond + 1e-9);
        },
      ),
    );
  });

  it('a spent budget is refused until refilled past zero', () => {
    const bucket = new TokenBucket(20, 20, 0);
    expect(bucket.positive(0)).toBe(true);
    bucket.spend(50, 0);
    expect(bucket.positive(1_000)).toBe(false);
    expect(bucket.positive(1_600)).toBe(true);
  });

  it('peer budgets track at most maxPeers routing ids and each peer gets its burst', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 60 }),
        (peers, max) => {
          const budgets = new PeerBudgets(3, 0, max);
          const granted = new Map<number, number>();
          for (const peer of peers) {
            if (budgets.take(String(peer), 0)) granted.set(peer, (granted.get(peer) ?? 0) + 1);
            expect(budgets.size).toBeLessThanOrEqual(max);
          }
          // Forgetting a peer only ever gives it a new burst, never more at once.
          if (max > 40) for (const count of granted.values()) expect(count).toBeLessThanOrEqual(3);
        },
      ),
    );
  });

  it('a log budget logs at most `lines` per window and counts the others for the summary', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 300 }), (gaps) => {
        const budget = new LogBudget(5, 1_000, 0);
        let now = 0;
        let logged = 0;
        let summarized = 0;
        for (const gap of gaps) {
          now += gap;
          summarized += budget.drain(now);
          if (budget.take(now)) logged++;
        }
        summarized += budget.drain(now + 1_000);
        expect(logged + summarized).toBe(gaps.length);
        expect(logged).toBeLessThanOrEqual(5 * (Math.floor(now / 1_000) + 1));
      }),
    );
  });
});
