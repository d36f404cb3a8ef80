// electron-builder's afterPack hook (electron-builder.yml): flips the Electron fuses of the
// packaged app before it is signed, so the shipped binary cannot be turned into a general
// Node runtime or made to run other code (https://www.electronjs.org/docs/latest/tutorial/fuses):
// - RunAsNode off: ELECTRON_RUN_AS_NODE does nothing, so a task (or anyone) cannot run the app as
//   `node` with the app's keychain access;
// - NODE_OPTIONS and --inspect off: no code injected through the environment or a debugger port;
// - asar integrity validation on and app code only from the asar: the app runs what was signed
//   (macOS and Windows check the hash electron-builder embeds; Linux has no such check);
// - cookie encryption on, file:// without extra privileges (the window uses app://).
import { join } from 'node:path';
import { flipFuses, FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';
import type { AfterPackContext } from 'electron-builder';

/** Arch.arm64 of electron-builder: its macOS builds need their ad-hoc signature renewed. */
const ARM64 = 3;

export const FUSES = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
} as const;

/** The Electron binary electron-builder made (its own rule in PlatformPackager.addElectronFuses). */
export function electronBinary(context: AfterPackContext): string {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'linux')
    return join(appOutDir, (packager as unknown as { executableName: string }).executableName);
  const name = packager.appInfo.productFilename;
  if (electronPlatformName === 'win32') return join(appOutDir, `${name}.exe`);
  return join(appOutDir, `${name}.app`);
}

export default async function afterPack(context: AfterPackContext): Promise<void> {
  const config: FuseV1Config = {
    version: FuseVersion.V1,
    ...FUSES,
    resetAdHocDarwinSignature:
      context.electronPlatformName === 'darwin' && Number(context.arch) === ARM64,
  };
  await flipFuses(electronBinary(context), config);
}
