// The OS keychain as the worker's SecretBox (src-main/worker/joined-secret.ts), through
// Electron's safeStorage: on macOS the Keychain (only this app may read its item), on Windows
// DPAPI (anything running as the same user may decrypt), on Linux the Secret Service or KWallet
// of the desktop session. Where Linux has neither, safeStorage falls back to a key built into
// Chromium ("basic_text"), which protects nothing: then there is no box, and the password stays
// in joined.json (mode 0600), which the volunteer view says.
import { safeStorage } from 'electron';
import type { SecretBox } from '../worker/joined-secret.ts';

function where(): string | undefined {
  if (process.platform === 'darwin') return 'the macOS Keychain';
  if (process.platform === 'win32') return 'Windows DPAPI (your user account)';
  const backend = safeStorage.getSelectedStorageBackend();
  return backend === 'basic_text' || backend === 'unknown'
    ? undefined
    : `the desktop keyring (${backend})`;
}

/** Only after the app is ready (safeStorage needs it). */
export function keychainBox(): SecretBox | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  const detail = where();
  if (detail === undefined) return undefined;
  return {
    detail,
    seal: (plain) => safeStorage.encryptString(plain),
    open: (sealed) => safeStorage.decryptString(sealed),
  };
}
