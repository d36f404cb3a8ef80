// The installers' icon files, from PNGs of the app icon at each size (scripts/icons.ts makes
// them): the Linux set of hicolor PNGs, a Windows .ico and a macOS .icns, both of which hold PNG
// images as they are. Pure: buffers in, buffers out.

/** What electron-builder.yml names, under directories.buildResources. */
export const ICON_FILES = { mac: 'icon.icns', win: 'icon.ico', linux: 'icons' } as const;

/** freedesktop hicolor sizes for the desktop entry (AppImage, deb). */
export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512] as const;
/** What Windows picks from for the taskbar, Explorer and the installer; 256 is the largest. */
export const WINDOWS_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
/**
 * Apple's icon types with PNG data (Icon Composer's types since OS X 10.7): each pixel size,
 * and the @2x ("Retina") slots, which take the image twice the point size.
 */
export const ICNS_TYPES: readonly (readonly [string, number])[] = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024], // 512@2x
  ['ic11', 32], // 16@2x
  ['ic12', 64], // 32@2x
  ['ic13', 256], // 128@2x
  ['ic14', 512], // 256@2x
];

export const ALL_SIZES = [
  ...new Set<number>([...LINUX_SIZES, ...WINDOWS_SIZES, ...ICNS_TYPES.map(([, size]) => size)]),
].sort((a, b) => a - b);

export function png(images: ReadonlyMap<number, Buffer>, size: number): Buffer {
  const image = images.get(size);
  if (image === undefined) throw new Error(`no ${size} px image for the icon`);
  return image;
}

/**
 * ICO (Microsoft's ICONDIR): a 6-byte header, a 16-byte entry per image, then the images; an
 * entry's width and height of 0 mean 256. PNG entries are read by Windows Vista and later.
 */
export function encodeIco(images: ReadonlyMap<number, Buffer>, sizes = WINDOWS_SIZES): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1: icon
  header.writeUInt16LE(sizes.length, 4);
  const entries: Buffer[] = [];
  let offset = 6 + 16 * sizes.length;
  for (const size of sizes) {
    const data = png(images, size);
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0);
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(data.length, 8);
    entry.writeUInt32LE(offset, 12);
    entries.push(entry);
    offset += data.length;
  }
  return Buffer.concat([header, ...entries, ...sizes.map((size) => png(images, size))]);
}

/** ICNS: `icns` and the file's length, then per image its type, its length (with these 8 bytes) and its PNG. */
export function encodeIcns(images: ReadonlyMap<number, Buffer>): Buffer {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const data = png(images, size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}
