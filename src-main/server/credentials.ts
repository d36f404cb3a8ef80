// Stored SCRAM credentials (RFC 5802 §3): the salt, iteration count, StoredKey and ServerKey
// per hash function, never the password. Logins with SCRAM verify the client's proof with one
// HMAC and one hash against these; PBKDF2 runs only when a password is set (and on a PLAIN
// login, whose result the SASL layer caches).
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

import { saslPrep } from '../xmpp/scram.ts';

const pbkdf2Async = promisify(pbkdf2);

export type ScramDigest = 'sha1' | 'sha256';
export const SCRAM_DIGESTS: readonly ScramDigest[] = ['sha256', 'sha1'];

export interface ScramKeys {
  storedKey: Buffer;
  serverKey: Buffer;
}

export interface StoredCredentials {
  salt: Buffer;
  iterations: number;
  sha1: ScramKeys;
  sha256: ScramKeys;
}

/** RFC 7677 §4 asks for at least 4096; Prosody stores 10 000. */
export const MIN_ITERATIONS = 4096;
export const DEFAULT_ITERATIONS = 10_000;
const SALT_BYTES = 16;

export async function deriveCredentials(
  password: string,
  iterations = DEFAULT_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<StoredCredentials> {
  const [sha1, sha256] = await Promise.all([
    deriveKeys('sha1', password, salt, iterations),
    deriveKeys('sha256', password, salt, iterations),
  ]);
  return { salt, iterations, sha1, sha256 };
}

export async function deriveKeys(
  digest: ScramDigest,
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<ScramKeys> {
  const length = createHash(digest).digest().length;
  const salted = await pbkdf2Async(saslPrep(password), salt, iterations, length, digest);
  return keysFromSaltedPassword(digest, salted);
}

/** RFC 5802 §3: ClientKey, StoredKey := H(ClientKey), ServerKey from SaltedPassword. */
export function keysFromSaltedPassword(digest: ScramDigest, salted: Buffer): ScramKeys {
  const clientKey = hmac(digest, salted, 'Client Key');
  return {
    storedKey: createHash(digest).update(clientKey).digest(),
    serverKey: hmac(digest, salted, 'Server Key'),
  };
}

/** Checks a cleartext password (SASL PLAIN) against the stored SHA-256 keys. */
export async function verifyPassword(
  stored: StoredCredentials,
  password: string,
): Promise<boolean> {
  const keys = await deriveKeys('sha256', password, stored.salt, stored.iterations);
  return timingSafeEqual(keys.storedKey, stored.sha256.storedKey);
}

export function hmac(digest: ScramDigest, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(digest, key).update(data).digest();
}
