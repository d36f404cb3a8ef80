// The afterPack hook flips the fuses of the Electron binary electron-builder made. No Electron
// binary can be downloaded here, so the hook runs on a file that has what @electron/fuses looks
// for: the fuse wire's sentinel, its version, its length and one byte per fuse.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import type { AfterPackContext } from 'electron-builder';
import { afterEach, describe, expect, it } from 'vitest';
import afterPack, { electronBinary } from '../../../scripts/after-pack.ts';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ENABLED = 0x31;
const DISABLED = 0x30;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const CODE = Buffer.from('\x7fELF and the rest of the code', 'latin1');
const MORE = Buffer.from('more code after the wire', 'latin1');

/** Electron as shipped: every fuse at its default (RunAsNode and NODE_OPTIONS on, asar checks off). */
function fakeElectron(path: string): void {
  const defaults = [ENABLED, DISABLED, ENABLED, ENABLED, DISABLED, DISABLED, DISABLED, ENABLED];
  writeFileSync(
    path,
    Buffer.concat([
      CODE,
      Buffer.from(SENTINEL, 'latin1'),
      Buffer.from([1, defaults.length, ...defaults]),
      MORE,
    ]),
  );
}

function context(platform: string, appOutDir: string): AfterPackContext {
  return {
    appOutDir,
    outDir: join(appOutDir, '..'),
    electronPlatformName: platform,
    arch: 1,
    targets: [],
    packager: { executableName: 'kestrel-desktop', appInfo: { productFilename: 'Kestrel' } },
  } as unknown as AfterPackContext;
}

describe('the afterPack hook', () => {
  it('finds the binary where electron-builder puts it on each platform', () => {
    expect(electronBinary(context('linux', '/r/linux-unpacked'))).toBe(
      '/r/linux-unpacked/kestrel-desktop',
    );
    expect(electronBinary(context('win32', '/r/win-unpacked'))).toBe('/r/win-unpacked/Kestrel.exe');
    expect(electronBinary(context('darwin', '/r/mac'))).toBe('/r/mac/Kestrel.app');
  });

  it('turns off running as Node, NODE_OPTIONS and the inspector; turns on the asar checks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-fuses-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'linux-unpacked'));
    const binary = join(dir, 'linux-unpacked', 'kestrel-desktop');
    fakeElectron(binary);
    await afterPack(context('linux', join(dir, 'linux-unpacked')));
    const wire = await getCurrentFuseWire(binary);
    const state = (fuse: FuseV1Options) => (wire as Record<number, number>)[fuse];
    expect(state(FuseV1Options.RunAsNode)).toBe(DISABLED);
    expect(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe(DISABLED);
    expect(state(FuseV1Options.EnableNodeCliInspectArguments)).toBe(DISABLED);
    expect(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe(ENABLED);
    expect(state(FuseV1Options.OnlyLoadAppFromAsar)).toBe(ENABLED);
    expect(state(FuseV1Options.EnableCookieEncryption)).toBe(ENABLED);
    expect(state(FuseV1Options.GrantFileProtocolExtraPrivileges)).toBe(DISABLED);
    // Only the wire changed: the rest of the binary is as it was.
    const after = readFileSync(binary);
    expect(after.subarray(0, CODE.length).equals(CODE)).toBe(true);
    expect(after.subarray(after.length - MORE.length).equals(MORE)).toBe(true);
  });

  it('fails the build when the binary has no fuse wire, rather than ship unflipped fuses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-fuses-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'Kestrel.exe'), 'not electron');
    await expect(afterPack(context('win32', dir))).rejects.toThrow(/Could not find sentinel/);
  });
});
