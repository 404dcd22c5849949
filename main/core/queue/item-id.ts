import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * Random bytes drawn 8 KiB at a time: one getrandom per 1,024 ids instead of
 * one per id (randomBytes(16) per id was a fifth of batched enqueue time).
 */
const RANDOM_POOL = Buffer.alloc(8192);
let poolOffset = RANDOM_POOL.length;

function eightRandomBytes(): Buffer {
  if (poolOffset + 8 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += 8;
  return RANDOM_POOL.subarray(start, start + 8);
}

/**
 * A UUIDv7 (RFC 9562 §5.7, counter in rand_a as §6.2 method 1): time-ordered,
 * so the unique index on item ids grows at its right edge instead of touching
 * a random page per insert — a third of the batched enqueue cost with v4 ids.
 * Ids stay unguessable enough for what they are (handles, not secrets).
 */
export function newItemId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // 4,096 ids in one millisecond: borrow the next one so order still holds.
    lastMs++;
    counter = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  eightRandomBytes().copy(bytes, 8);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
