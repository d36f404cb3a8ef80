// `npm run icons [OUT_DIR]`: the installers' icons (electron-builder.yml, directories.buildResources)
// made from assets/icon.svg, the one source: Chromium rasterises the SVG at every size each
// platform wants (playwright-core, no download: Debian's /usr/bin/chromium, or $CHROMIUM), and
// scripts/icon-files.ts packs them. Writes OUT_DIR (default build/): icons/NxN.png (Linux),
// icon.ico (Windows), icon.icns (macOS). Nothing it makes is committed. The tray's icons are
// drawn by the app itself at run time (src-main/tray/icon.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { ALL_SIZES, encodeIcns, encodeIco, ICON_FILES, LINUX_SIZES, png } from './icon-files.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE = join(ROOT, 'assets', 'icon.svg');

/** The SVG as PNGs, one per size, drawn at that size (not scaled down from a large one). */
export async function rasterise(
  svg: string,
  sizes: readonly number[],
): Promise<Map<number, Buffer>> {
  const profile = mkdtempSync(join(tmpdir(), 'kestrel-icons-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
    headless: true,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const source = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
    const out = new Map<number, Buffer>();
    for (const size of sizes) {
      await page.setViewportSize({ width: size, height: size });
      await page.setContent(
        `<html><body style="margin:0;background:transparent"><img src="${source}" width="${size}" height="${size}" style="display:block"></body></html>`,
      );
      await page.locator('img').evaluate('(img) => img.decode()');
      out.set(
        size,
        await page.screenshot({
          omitBackground: true,
          clip: { x: 0, y: 0, width: size, height: size },
        }),
      );
    }
    return out;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

export async function makeIcons(outDir: string): Promise<string[]> {
  const images = await rasterise(readFileSync(SOURCE, 'utf8'), ALL_SIZES);
  const written: string[] = [];
  const write = (name: string, data: Buffer) => {
    writeFileSync(join(outDir, name), data);
    written.push(name);
  };
  mkdirSync(join(outDir, ICON_FILES.linux), { recursive: true });
  for (const size of LINUX_SIZES)
    write(join(ICON_FILES.linux, `${size}x${size}.png`), png(images, size));
  write(ICON_FILES.win, encodeIco(images));
  write(ICON_FILES.mac, encodeIcns(images));
  return written;
}

if (import.meta.main) {
  const out = resolve(process.argv[2] ?? join(ROOT, 'build'));
  for (const name of await makeIcons(out)) console.log(join(out, name));
}
