/**
 * Writes the tray icons (issue #8: the icon's colour says the state) as PNG,
 * so no image tool is needed: `node build/make-tray-icons.ts`.
 * tray-<state>.png is 16×16, tray-<state>@2x.png 32×32 (Electron picks it on
 * high-DPI screens); icon.png (256×256) is the window and installer icon.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

type Rgb = [number, number, number];

const STATES: Record<string, Rgb> = {
  ok: [22, 163, 74], // everything delivered
  busy: [217, 119, 6], // retrying, or a pairing waits for the admin
  bad: [220, 38, 38], // something failed
};
const TEAL: Rgb = [15, 118, 110];

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** RGBA pixels → PNG (colour type 6, filter 0 on every row). */
function png(
  size: number,
  pixel: (x: number, y: number) => [number, number, number, number],
): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) row.set(pixel(x + 0.5, y + 0.5), 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Coverage of a disc, 4×4 supersampled, for smooth edges at 16 px. */
function disc(cx: number, cy: number, r: number, x: number, y: number): number {
  let hits = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const dx = x - 0.5 + (i + 0.5) / 4 - cx;
      const dy = y - 0.5 + (j + 0.5) / 4 - cy;
      if (dx * dx + dy * dy <= r * r) hits++;
    }
  }
  return hits / 16;
}

function trayIcon(size: number, colour: Rgb): Buffer {
  const c = size / 2;
  return png(size, (x, y) => {
    const outer = disc(c, c, size * 0.44, x, y);
    const inner = disc(c, c, size * 0.17, x, y);
    // A coloured ring with a white centre reads on light and dark panels alike.
    const [r, g, b] = colour;
    const mix = (v: number): number => Math.round(v * (1 - inner) + 255 * inner);
    return [mix(r), mix(g), mix(b), Math.round(255 * outer)];
  });
}

function appIcon(size: number): Buffer {
  const c = size / 2;
  return png(size, (x, y) => {
    const base = disc(c, c, size * 0.47, x, y);
    const ring = disc(c, c * 1.08, size * 0.2, x, y) - disc(c, c * 1.08, size * 0.12, x, y);
    const dot = disc(c, c * 1.08, size * 0.06, x, y);
    const white = Math.min(1, Math.max(0, ring) + dot);
    const [r, g, b] = TEAL;
    const mix = (v: number): number => Math.round(v * (1 - white) + 255 * white);
    return [mix(r), mix(g), mix(b), Math.round(255 * base)];
  });
}

const dir = import.meta.dirname;
for (const [state, colour] of Object.entries(STATES)) {
  writeFileSync(join(dir, `tray-${state}.png`), trayIcon(16, colour));
  writeFileSync(join(dir, `tray-${state}@2x.png`), trayIcon(32, colour));
}
writeFileSync(join(dir, 'icon.png'), appIcon(256));
