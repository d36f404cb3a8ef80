// `npm run icons`: the installers' icons rasterised from assets/icon.svg in Chromium, at every
// size each platform wants, packed as electron-builder.yml names them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ICNS_TYPES, ICON_FILES, LINUX_SIZES, WINDOWS_SIZES } from '../../scripts/icon-files.ts';
import { makeIcons } from '../../scripts/icons.ts';

const out = mkdtempSync(join(tmpdir(), 'kestrel-icons-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Width, height and the alpha of a pixel of an 8-bit RGBA PNG without interlace. */
function readPng(png: Buffer): {
  width: number;
  height: number;
  alpha(x: number, y: number): number;
} {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT')
      idat.push(png.subarray(at + 8, at + 8 + length));
    at += length + 12;
  }
  const raw = inflateSync(Buffer.concat(idat));
  // Undo the row filters (PNG §9): only what is needed to read alpha correctly.
  const stride = width * 4;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const row = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    const up = rows[y - 1];
    for (let i = 0; i < stride; i++) {
      const a = i >= 4 ? row[i - 4]! : 0;
      const b = up ? up[i]! : 0;
      const c = up && i >= 4 ? up[i - 4]! : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const add = [0, a, b, (a + b) >> 1, paeth][filter] ?? 0;
      row[i] = (row[i]! + add) & 0xff;
    }
    rows.push(row);
  }
  return { width, height, alpha: (x, y) => rows[y]![x * 4 + 3]! };
}

describe('npm run icons', () => {
  it('writes the Linux set, the .ico and the .icns from assets/icon.svg', async () => {
    const written = await makeIcons(out);
    expect(written).toEqual([
      ...LINUX_SIZES.map((s) => join(ICON_FILES.linux, `${s}x${s}.png`)),
      ICON_FILES.win,
      ICON_FILES.mac,
    ]);
    for (const size of LINUX_SIZES) {
      const png = readPng(readFileSync(join(out, ICON_FILES.linux, `${size}x${size}.png`)));
      expect([png.width, png.height]).toEqual([size, size]);
      // The tile's rounded corner is transparent, its middle opaque: the icon, not a blank.
      expect(png.alpha(0, 0), `${size} corner`).toBe(0);
      expect(png.alpha(size >> 1, size >> 1), `${size} middle`).toBe(255);
    }
    const ico = readFileSync(join(out, ICON_FILES.win));
    expect(ico.readUInt16LE(4)).toBe(WINDOWS_SIZES.length);
    const icns = readFileSync(join(out, ICON_FILES.mac));
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    for (const [type] of ICNS_TYPES)
      expect(icns.includes(Buffer.from(type, 'latin1')), type).toBe(true);
  });
});
