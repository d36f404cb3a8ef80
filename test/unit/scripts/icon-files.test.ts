// The installers' icon containers, read back as Windows and macOS read them.
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../../src-main/tray/icon.ts';
import {
  ALL_SIZES,
  encodeIcns,
  encodeIco,
  ICNS_TYPES,
  WINDOWS_SIZES,
} from '../../../scripts/icon-files.ts';

/** A distinct PNG per size (its first pixel says which), as the rasteriser would give. */
const images = new Map(
  ALL_SIZES.map((size) => {
    const rgba = new Uint8Array(size * size * 4);
    rgba.set([size % 256, 0, 0, 255]);
    return [size, encodePng(size, size, rgba)] as const;
  }),
);

describe('the installers’ icon files', () => {
  it('packs a Windows .ico: one PNG entry per size, 256 written as 0', () => {
    const ico = encodeIco(images);
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([
      0,
      1,
      WINDOWS_SIZES.length,
    ]);
    WINDOWS_SIZES.forEach((size, i) => {
      const entry = ico.subarray(6 + 16 * i, 6 + 16 * (i + 1));
      expect([entry[0], entry[1]], `entry ${i}`).toEqual(size >= 256 ? [0, 0] : [size, size]);
      expect(entry.readUInt16LE(6)).toBe(32);
      const length = entry.readUInt32LE(8);
      const offset = entry.readUInt32LE(12);
      expect(ico.subarray(offset, offset + length).equals(images.get(size)!)).toBe(true);
    });
  });

  it('packs a macOS .icns: its length, then each type with its PNG, the @2x slots included', () => {
    const icns = encodeIcns(images);
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const found: [string, number][] = [];
    for (let at = 8; at < icns.length;) {
      const type = icns.toString('latin1', at, at + 4);
      const length = icns.readUInt32BE(at + 4);
      const data = icns.subarray(at + 8, at + length);
      expect(data.subarray(1, 4).toString('latin1')).toBe('PNG');
      found.push([type, data.readUInt32BE(16)]); // IHDR width
      at += length;
    }
    expect(found).toEqual(ICNS_TYPES.map(([type, size]) => [type, size]));
  });

  it('refuses to pack without an image of every size', () => {
    const missing = new Map(images);
    missing.delete(48);
    expect(() => encodeIco(missing)).toThrow(/no 48 px image/);
  });
});
