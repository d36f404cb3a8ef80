import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TRAY_COLOURS, TRAY_STATES, trayIconPng } from '../../../../src-main/tray/icon.ts';

interface Decoded {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  pixel(x: number, y: number): [number, number, number, number];
}

/** Just enough of a PNG reader for what the encoder writes: checks every CRC on the way. */
function decodePng(png: Buffer): Decoded {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length), `${type} CRC`).toBe(
      crc32(png.subarray(at + 4, at + 8 + length)),
    );
    chunks.push({ type, data });
    at += length + 12;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const header = chunks[0]!.data;
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const raw = inflateSync(chunks[1]!.data);
  const stride = width * 4 + 1;
  expect(raw.length).toBe(stride * height);
  for (let y = 0; y < height; y++) expect(raw[y * stride], `filter of row ${y}`).toBe(0);
  return {
    width,
    height,
    bitDepth: header[8]!,
    colourType: header[9]!,
    pixel(x, y) {
      const at = y * stride + 1 + x * 4;
      return [raw[at]!, raw[at + 1]!, raw[at + 2]!, raw[at + 3]!];
    },
  };
}

const sizes = [16, 32] as const;
const at16 = (size: number, sixteenths: number) => (sixteenths * size) / 16;

describe('tray icons', () => {
  it.each(
    sizes.flatMap((size) =>
      TRAY_STATES.flatMap((state) =>
        [false, true].map((template) => [state, size, template] as const),
      ),
    ),
  )(
    '%s at %i px (template: %s) is a valid 8-bit RGBA PNG of that size',
    (state, size, template) => {
      const png = decodePng(trayIconPng(state, size, { template }));
      expect([png.width, png.height, png.bitDepth, png.colourType]).toEqual([size, size, 8, 6]);
      // One pixel of margin: the corners and the border are transparent.
      for (const [x, y] of [
        [0, 0],
        [size - 1, 0],
        [0, size - 1],
        [size - 1, size - 1],
        [size / 2, 0],
        [0, size / 2],
      ] as const) {
        expect(png.pixel(x, y)[3], `alpha at ${x},${y}`).toBe(0);
      }
    },
  );

  it.each(sizes)(
    'fills the working disc with green; idle is the same green, as a ring (%i px)',
    (size) => {
      const working = decodePng(trayIconPng('working', size));
      expect(working.pixel(size / 2, size / 2)).toEqual([...TRAY_COLOURS.working, 255]);
      expect(working.pixel(size / 4, size / 2)).toEqual([...TRAY_COLOURS.working, 255]);
      const idle = decodePng(trayIconPng('idle', size));
      expect(idle.pixel(size / 2, size / 2)[3]).toBe(0);
      expect(idle.pixel(Math.round(size * 0.1), size / 2)).toEqual([...TRAY_COLOURS.idle, 255]);
    },
  );

  it.each(sizes)('draws paused as an amber disc with a white pause sign (%i px)', (size) => {
    const png = decodePng(trayIconPng('paused', size));
    const px = (n: number) => at16(size, n);
    // Between the bars and above them: amber. On either bar: white, with no blur at 16 px.
    for (const [x, y] of [
      [px(7), px(8)],
      [px(8), px(8)],
      [px(8), px(3)],
    ]) {
      expect(png.pixel(x!, y!), `at ${x},${y}`).toEqual([...TRAY_COLOURS.paused, 255]);
    }
    for (const x of [px(5), px(6), px(9), px(10)]) {
      for (const y of [px(5), px(8), px(10)]) {
        expect(png.pixel(x, y), `at ${x},${y}`).toEqual([255, 255, 255, 255]);
      }
    }
  });

  it.each(sizes)('draws error as a red disc with a white exclamation mark (%i px)', (size) => {
    const png = decodePng(trayIconPng('error', size));
    const px = (n: number) => at16(size, n);
    for (const y of [px(4), px(8), px(10), px(11)])
      expect(png.pixel(px(7), y), `stroke at ${y}`).toEqual([255, 255, 255, 255]);
    // The gap between stroke and dot, and either side of the mark: red.
    for (const [x, y] of [
      [px(7), px(9)],
      [px(5), px(8)],
      [px(10), px(8)],
    ])
      expect(png.pixel(x!, y!), `at ${x},${y}`).toEqual([...TRAY_COLOURS.error, 255]);
  });

  it.each(sizes)('draws offline as a grey ring struck through, otherwise empty (%i px)', (size) => {
    const png = decodePng(trayIconPng('offline', size));
    // The slash runs from lower left to upper right through the centre.
    expect(png.pixel(at16(size, 7), at16(size, 8))).toEqual([...TRAY_COLOURS.offline, 255]);
    // Off the slash, inside the ring: empty.
    expect(png.pixel(at16(size, 5), at16(size, 5))[3]).toBe(0);
    expect(png.pixel(at16(size, 10), at16(size, 10))[3]).toBe(0);
    expect(png.pixel(Math.round(size * 0.1), size / 2)).toEqual([...TRAY_COLOURS.offline, 255]);
  });

  it.each(sizes)('as macOS template images: black, with the marks cut out (%i px)', (size) => {
    for (const state of TRAY_STATES) {
      const png = decodePng(trayIconPng(state, size, { template: true }));
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const [r, g, b] = png.pixel(x, y);
          expect([r, g, b], `${state} at ${x},${y}`).toEqual([0, 0, 0]);
        }
    }
    const paused = decodePng(trayIconPng('paused', size, { template: true }));
    expect(paused.pixel(at16(size, 5), at16(size, 8))[3], 'on a bar').toBe(0);
    expect(paused.pixel(at16(size, 8), at16(size, 8))[3], 'between the bars').toBe(255);
    const error = decodePng(trayIconPng('error', size, { template: true }));
    expect(error.pixel(at16(size, 7), at16(size, 5))[3], 'on the stroke').toBe(0);
  });

  it('tells every state apart by shape alone (the template images differ)', () => {
    const shapes = TRAY_STATES.map((s) =>
      trayIconPng(s, 16, { template: true }).toString('base64'),
    );
    expect(new Set(shapes).size).toBe(TRAY_STATES.length);
  });

  it('anti-aliases the edge: partial alpha there, in the shape’s own colour', () => {
    const png = decodePng(trayIconPng('working', 32));
    const edge = [...Array(32 * 32).keys()]
      .map((i) => png.pixel(i % 32, Math.floor(i / 32)))
      .filter(([, , , alpha]) => alpha > 0 && alpha < 255);
    expect(edge.length).toBeGreaterThanOrEqual(16);
    for (const [r, g, b] of edge) expect([r, g, b]).toEqual([...TRAY_COLOURS.working]);
  });

  it('is a pure function: the same state and size give the same bytes', () => {
    expect(trayIconPng('paused', 16).equals(trayIconPng('paused', 16))).toBe(true);
    const all = TRAY_STATES.map((s) => trayIconPng(s, 16).toString('base64'));
    expect(new Set(all).size).toBe(TRAY_STATES.length);
  });
});
