// Tray icons, drawn in code so each state has one obvious look at 16 and 32 px (32 is the @2x
// image of HiDPI screens) without binaries in the repository: idle is a grey disc, working a
// green one, paused an amber disc with a pause sign, offline a red ring with nothing inside.
import { crc32, deflateSync } from 'node:zlib';
import type { VolunteerState } from '../../shared/api.ts';

export type TrayIconSize = 16 | 32;

type Rgb = readonly [number, number, number];

export const TRAY_COLOURS: Readonly<Record<VolunteerState, Rgb>> = {
  idle: [138, 143, 152],
  working: [46, 158, 68],
  paused: [240, 163, 10],
  offline: [217, 48, 37],
};
const WHITE: Rgb = [255, 255, 255];

/** A shape in unit coordinates (0..1 across the icon): whether a point is inside it. */
type Shape = (x: number, y: number) => boolean;

const RADIUS = 0.4375; // 7 px of 16: one pixel of margin, as tray icons usually have
const RING = 0.14;
const disc: Shape = (x, y) => (x - 0.5) ** 2 + (y - 0.5) ** 2 <= RADIUS ** 2;
const ring: Shape = (x, y) => disc(x, y) && (x - 0.5) ** 2 + (y - 0.5) ** 2 >= (RADIUS - RING) ** 2;
// Two bars, each 2/16 wide with a 2/16 gap, on whole pixels at 16 and 32 px so they stay crisp.
const pauseBars: Shape = (x, y) =>
  y >= 5 / 16 && y < 11 / 16 && ((x >= 5 / 16 && x < 7 / 16) || (x >= 9 / 16 && x < 11 / 16));

function layers(state: VolunteerState): [Rgb, Shape][] {
  const colour = TRAY_COLOURS[state];
  switch (state) {
    case 'offline':
      return [[colour, ring]];
    case 'paused':
      return [
        [colour, disc],
        [WHITE, pauseBars],
      ];
    case 'idle':
    case 'working':
      return [[colour, disc]];
  }
}

/** Anti-aliasing: the share of a 4×4 grid of points in the pixel that falls inside the shape. */
const GRID = 4;
function coverage(shape: Shape, px: number, py: number, size: number): number {
  let inside = 0;
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) {
      if (shape((px + (i + 0.5) / GRID) / size, (py + (j + 0.5) / GRID) / size)) inside++;
    }
  }
  return inside / GRID ** 2;
}

/** RGBA pixels, straight (not premultiplied) alpha, rows top to bottom. */
export function drawTrayIcon(state: VolunteerState, size: TrayIconSize): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const [colour, shape] of layers(state)) {
        const alpha = coverage(shape, px, py, size);
        if (alpha === 0) continue;
        // Porter–Duff "source over", in straight alpha.
        const out = alpha + a * (1 - alpha);
        r = (colour[0] * alpha + r * a * (1 - alpha)) / out;
        g = (colour[1] * alpha + g * a * (1 - alpha)) / out;
        b = (colour[2] * alpha + b * a * (1 - alpha)) / out;
        a = out;
      }
      pixels.set([r, g, b, a * 255].map(Math.round), (py * size + px) * 4);
    }
  }
  return pixels;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG (RFC 2083 / ISO 15948): 8-bit RGBA, no interlace, filter type 0 on every row. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, filter 0, no interlace
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: None
    raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

export function trayIconPng(state: VolunteerState, size: TrayIconSize): Buffer {
  return encodePng(size, size, drawTrayIcon(state, size));
}
