/**
 * Generates every icon the installers and the tray use from the one drawing
 * below (`npm run icons`; the outputs are committed). No image tool is needed:
 * shapes are signed distance functions sampled 4×4 per pixel, PNG is encoded
 * here with node:zlib, and ICO / ICNS are plain containers of those PNGs.
 *
 *   build/icons/icon.png            1024×1024 app icon (electron-builder source)
 *   build/icons/png/<n>x<n>.png     Linux icon set (16 … 512)
 *   build/icons/icon.ico            Windows (16, 24, 32, 48, 64, 128, 256)
 *   build/icons/icon.icns           macOS (16 … 1024, retina variants)
 *   build/tray-{ok,busy,bad}.png    tray, state colours (+ @2x), what main/shell/tray-state.ts loads
 *   build/tray-{ok,busy,bad}Template.png  macOS menu bar template images (+ @2x)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];
/** Signed distance (in units of the drawing's 0…1 square) to a shape: < 0 inside. */
type Sdf = (x: number, y: number) => number;
interface Layer {
  shape: Sdf;
  color: Rgba;
}

const circle =
  (cx: number, cy: number, r: number): Sdf =>
  (x, y) =>
    Math.hypot(x - cx, y - cy) - r;
const ring =
  (cx: number, cy: number, r: number, width: number): Sdf =>
  (x, y) =>
    Math.abs(Math.hypot(x - cx, y - cy) - r) - width / 2;
const roundedSquare =
  (inset: number, radius: number): Sdf =>
  (x, y) => {
    const half = 0.5 - inset - radius;
    const dx = Math.max(Math.abs(x - 0.5) - half, 0);
    const dy = Math.max(Math.abs(y - 0.5) - half, 0);
    return Math.hypot(dx, dy) - radius;
  };
const segment =
  (ax: number, ay: number, bx: number, by: number, width: number): Sdf =>
  (x, y) => {
    const vx = bx - ax;
    const vy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
    return Math.hypot(x - ax - t * vx, y - ay - t * vy) - width / 2;
  };
/** The part of `shape` above the line y = cy - (|x - cx| * slope): the upper fan of a ring. */
const upperFan =
  (shape: Sdf, cx: number, cy: number): Sdf =>
  (x, y) =>
    Math.max(shape(x, y), y - cy + Math.abs(x - cx) * 0.9);
const union =
  (...shapes: Sdf[]): Sdf =>
  (x, y) =>
    Math.min(...shapes.map((s) => s(x, y)));
const subtract =
  (shape: Sdf, hole: Sdf): Sdf =>
  (x, y) =>
    Math.max(shape(x, y), -hole(x, y));

// ---- the drawing: a mast with a beacon sending signal waves, on a teal tile --------------
const TEAL: Rgba = [14, 92, 115, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const beacon = circle(0.5, 0.4, 0.075);
const waves = union(
  upperFan(ring(0.5, 0.4, 0.17, 0.05), 0.5, 0.4),
  upperFan(ring(0.5, 0.4, 0.27, 0.05), 0.5, 0.4),
);
const mast = union(
  segment(0.5, 0.45, 0.37, 0.8, 0.05),
  segment(0.5, 0.45, 0.63, 0.8, 0.05),
  segment(0.42, 0.66, 0.58, 0.66, 0.04),
);
const APP_ICON: Layer[] = [
  { shape: roundedSquare(0.06, 0.18), color: TEAL },
  { shape: union(beacon, waves, mast), color: WHITE },
];

// Tray: a status dot in the state's colour with a white rim (readable on dark and light task bars).
const TRAY_COLOURS = {
  ok: [46, 158, 68, 255],
  busy: [224, 161, 0, 255],
  bad: [211, 58, 44, 255],
} as const satisfies Record<string, Rgba>;
const trayIcon = (color: Rgba): Layer[] => [
  { shape: circle(0.5, 0.5, 0.46), color: WHITE },
  { shape: circle(0.5, 0.5, 0.36), color },
];
// macOS template images are black + alpha only, so the states differ by shape:
// ok = solid dot, busy = ring with a centre dot, bad = dot with an exclamation mark cut out.
const BLACK: Rgba = [0, 0, 0, 255];
const TEMPLATES: Record<keyof typeof TRAY_COLOURS, Layer[]> = {
  ok: [{ shape: circle(0.5, 0.5, 0.4), color: BLACK }],
  busy: [{ shape: union(ring(0.5, 0.5, 0.34, 0.12), circle(0.5, 0.5, 0.12)), color: BLACK }],
  bad: [
    {
      shape: subtract(
        circle(0.5, 0.5, 0.44),
        union(segment(0.5, 0.24, 0.5, 0.56, 0.13), circle(0.5, 0.74, 0.075)),
      ),
      color: BLACK,
    },
  ],
};

// ---- rendering ----------------------------------------------------------------------------
const SUBSAMPLES = 4;

export function render(layers: Layer[], size: number): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const layer of layers) {
        let inside = 0;
        for (let sy = 0; sy < SUBSAMPLES; sy++) {
          for (let sx = 0; sx < SUBSAMPLES; sx++) {
            const x = (px + (sx + 0.5) / SUBSAMPLES) / size;
            const y = (py + (sy + 0.5) / SUBSAMPLES) / size;
            if (layer.shape(x, y) <= 0) inside++;
          }
        }
        const alpha = (inside / (SUBSAMPLES * SUBSAMPLES)) * (layer.color[3] / 255);
        // "over" compositing in straight alpha.
        const outA = alpha + a * (1 - alpha);
        if (outA > 0) {
          r = (layer.color[0] * alpha + r * a * (1 - alpha)) / outA;
          g = (layer.color[1] * alpha + g * a * (1 - alpha)) / outA;
          b = (layer.color[2] * alpha + b * a * (1 - alpha)) / outA;
        }
        a = outA;
      }
      const i = (py * size + px) * 4;
      pixels[i] = Math.round(r);
      pixels[i + 1] = Math.round(g);
      pixels[i + 2] = Math.round(b);
      pixels[i + 3] = Math.round(a * 255);
    }
  }
  return pixels;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG, 8-bit RGBA, no interlace, filter 0 on every row. */
export function encodePng(rgba: Buffer, size: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++)
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** ICO with PNG-compressed entries (Windows Vista and later read them at every size). */
export function encodeIco(images: Array<{ size: number; png: Buffer }>): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry[0] = size >= 256 ? 0 : size; // 0 means 256
    entry[1] = size >= 256 ? 0 : size;
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)]);
}

/** ICNS with PNG payloads; the OSType says the pixel size and density. */
export const ICNS_TYPES: Array<[string, number]> = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

export function encodeIcns(pngBySize: Map<number, Buffer>): Buffer {
  const elements = ICNS_TYPES.map(([type, size]) => {
    const png = pngBySize.get(size)!;
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(elements);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

export type TrayIconState = keyof typeof TRAY_COLOURS;
export const TRAY_STATES = Object.keys(TRAY_COLOURS) as TrayIconState[];
export const appIconPng = (size: number): Buffer => encodePng(render(APP_ICON, size), size);
export const trayPng = (state: TrayIconState, size: number): Buffer =>
  encodePng(render(trayIcon(TRAY_COLOURS[state]), size), size);
export const trayTemplatePng = (state: TrayIconState, size: number): Buffer =>
  encodePng(render(TEMPLATES[state], size), size);

function write(path: string, data: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  console.log(`${path} (${data.length} bytes)`);
}

function main(): void {
  const buildDir = join(import.meta.dirname, '..');
  const iconsDir = import.meta.dirname;
  const pngs = new Map<number, Buffer>();
  for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) pngs.set(size, appIconPng(size));
  write(join(iconsDir, 'icon.png'), pngs.get(1024)!);
  for (const size of [16, 32, 48, 64, 128, 256, 512])
    write(join(iconsDir, 'png', `${size}x${size}.png`), pngs.get(size)!);
  write(
    join(iconsDir, 'icon.ico'),
    encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: pngs.get(size)! }))),
  );
  write(join(iconsDir, 'icon.icns'), encodeIcns(pngs));
  for (const state of TRAY_STATES) {
    write(join(buildDir, `tray-${state}.png`), trayPng(state, 16));
    write(join(buildDir, `tray-${state}@2x.png`), trayPng(state, 32));
    write(join(buildDir, `tray-${state}Template.png`), trayTemplatePng(state, 16));
    write(join(buildDir, `tray-${state}Template@2x.png`), trayTemplatePng(state, 32));
  }
}

if (import.meta.main) main();
