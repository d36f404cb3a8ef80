// The worker's password out of joined.json where the platform can keep it better: the desktop app
// passes a SecretBox over the OS keychain (Electron safeStorage: the macOS Keychain, Windows
// DPAPI, the Secret Service or KWallet on Linux), and the password is kept sealed in
// DATA_DIR/joined.secret instead. A task that reads the data directory (where no sandbox hides
// it, docs/SECURITY.md) then finds no password in clear. The headless worker has no keychain and
// keeps it in joined.json (mode 0600), as before.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../common/config.ts';

export interface SecretBox {
  /** Where the secret is kept, for people ("the system keychain (gnome_libsecret)"). */
  readonly detail: string;
  seal(plain: string): Buffer;
  /** Throws when the keychain cannot open it (another user, a reinstalled system). */
  open(sealed: Buffer): string;
}

export const joinedSecretPath = (dataDir: string): string => join(dataDir, 'joined.secret');

/** Writes aside and renames, so a crash never leaves half a file; mode 0600. */
function writeAtomic(path: string, data: string | Buffer): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data, { mode: 0o600 });
  renameSync(temp, path);
}

/**
 * Keeps `config` (a joined.json's settings) at `path`: with a box, its password sealed in
 * joined.secret and joined.json without it; without one, joined.json with the password and no
 * stale joined.secret.
 */
export function writeJoined(
  dataDir: string,
  path: string,
  config: Record<string, unknown> & { password?: unknown },
  box: SecretBox | undefined,
): void {
  const secret = joinedSecretPath(dataDir);
  if (box === undefined || typeof config.password !== 'string') {
    writeAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
    if (box === undefined) rmSync(secret, { force: true });
    return;
  }
  const { password, ...rest } = config;
  // The secret first: a crash in between leaves the password in clear, never lost.
  writeAtomic(secret, box.seal(password));
  writeAtomic(path, `${JSON.stringify(rest, null, 2)}\n`);
}

/** With a box, a password still in clear in joined.json (an older join) is sealed now. */
export function sealInPlace(dataDir: string, path: string, box: SecretBox): void {
  const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (typeof stored.password === 'string') writeJoined(dataDir, path, stored, box);
}

/** The sealed password of a joined.json, from joined.secret; undefined when there is none. */
export function openSealed(dataDir: string, box: SecretBox | undefined): string | undefined {
  const secret = joinedSecretPath(dataDir);
  if (!existsSync(secret)) return undefined;
  if (box === undefined)
    throw new ConfigError(
      `the worker's password is kept sealed by the desktop app's keychain (${secret}): ` +
        'run the desktop app, or join again (kestrel worker --join LINK)',
    );
  try {
    return box.open(readFileSync(secret));
  } catch (error) {
    throw new ConfigError(
      `the keychain cannot open the worker's password (${secret}): ${(error as Error).message}; join the pool again`,
    );
  }
}
