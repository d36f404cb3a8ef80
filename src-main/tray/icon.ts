// Tray icons, drawn in code so each state has one obvious look at 16 and 32 px (32 is the @2x
// image of HiDPI screens) without binaries in the repository. The shape alone tells the state,
// so the same drawing serves macOS, whose menu bar wants template images (black on transparent,
// recoloured by the system: NSImage isTemplate), and the colour adds to it elsewhere:
// offline a grey ring struck through, idle a green ring, working a green disc, paused an amber
// disc with a pause sign, error a red disc with an exclamation mark. Marks inside a disc are
// white in colour and cut out (transparent) in a template.
import { crc32, deflateSync } from 'node:zlib';

export type TrayState = 'offline' | 'idle' | 'working' | 'paused' | 'error';
export const TRAY_STATES: readonly TrayState[] = ['offline', 'idle', 'working', 'paused', 'error'];

export type TrayIconSize = 16 | 32;

type Rgb = readonly [number, number, number];

export const TRAY_COLOURS: Readonly<Record<TrayState, Rgb>> = {
  offline: [138, 143, 152],
  idle: [46, 158, 68],
  working: [46, 158, 68],
  paused: [240, 163, 10],
  error: [217, 48, 37],
};
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];

/** A shape in unit coordinates (0..1 across the icon): whether a point is inside it. */
type Shape = (x: number, y: number) => boolean;

const RADIUS = 0.4375; // 7 px of 16: one pixel of margin, as tray icons usually have
const RING = 0.14;
const r2 = (x: number, y: number) => (x - 0.5) ** 2 + (y - 0.5) ** 2;
const disc: Shape = (x, y) => r2(x, y) <= RADIUS ** 2;
const ring: Shape = (x, y) => disc(x, y) && r2(x, y) >= (RADIUS - RING) ** 2;
// A bar from the ring's lower left to its upper right, as wide as the ring.
const slash: Shape = (x, y) => disc(x, y) && Math.abs(x - 0.5 + (y - 0.5)) <= RING / Math.SQRT2;
// Marks on whole pixels at 16 and 32 px, so they stay crisp: two bars 2/16 wide with a 2/16 gap;
// an exclamation mark 2/16 wide, its stroke from 4/16 to 9/16 and its dot at 10/16–12/16.
const box = (x0: number, x1: number, y0: number, y1: number): Shape => {
  return (x, y) => x >= x0 / 16 && x < x1 / 16 && y >= y0 / 16 && y < y1 / 16;
};
const either =
  (...shapes: Shape[]): Shape =>
  (x, y) =>
    shapes.some((s) => s(x, y));
const pauseBars = either(box(5, 7, 5, 11), box(9, 11, 5, 11));
const exclamation = either(box(7, 9, 4, 9), box(7, 9, 10, 12));

/** The filled shape and the mark drawn on it (white, or cut out of a template). */
function layers(state: TrayState): { fill: Shape; mark?: Shape } {
  switch (state) {
    case 'offline':
      return { fill: either(ring, slash) };
    case 'idle':
      return { fill: ring };
    case 'working':
      return { fill: disc };
    case 'paused':
      return { fill: disc, mark: pauseBars };
    case 'error':
      return { fill: disc, mark: exclamation };
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

export interface TrayIconOptions {
  /** macOS: black on transparent, marks cut out; the system colours it for the menu bar. */
  template?: boolean;
}

/** RGBA pixels, straight (not premultiplied) alpha, rows top to bottom. */
export function drawTrayIcon(
  state: TrayState,
  size: TrayIconSize,
  options: TrayIconOptions = {},
): Uint8Array {
  const { fill, mark } = layers(state);
  const colour = options.template ? BLACK : TRAY_COLOURS[state];
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const base = coverage(fill, px, py, size);
      if (base === 0) continue;
      const over = mark ? coverage(mark, px, py, size) : 0;
      let rgba: number[];
      if (options.template) {
        // Cut out: the mark takes away the fill's alpha.
        rgba = [...colour, base * (1 - over) * 255];
      } else {
        // Porter–Duff "source over" of the white mark on the fill, in straight alpha.
        const a = over + base * (1 - over);
        const mix = (i: 0 | 1 | 2) => (WHITE[i] * over + colour[i] * base * (1 - over)) / a;
        rgba = [mix(0), mix(1), mix(2), a * 255];
      }
      pixels.set(rgba.map(Math.round), (py * size + px) * 4);
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

export function trayIconPng(
  state: TrayState,
  size: TrayIconSize,
  options: TrayIconOptions = {},
): Buffer {
  return encodePng(size, size, drawTrayIcon(state, size, options));
}
