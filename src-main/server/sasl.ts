// The SASL mechanisms the server offers (RFC 6120 §6.3.3): SCRAM-SHA-256 and SCRAM-SHA-1
// against stored keys, and PLAIN only where the password cannot be sniffed (inside TLS or on a
// loopback listener). PLAIN needs a PBKDF2 run per check; a successful one is remembered as a
// keyed hash in memory, so the next PLAIN login of that account costs one HMAC.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import type { AccountStore } from './account-store.ts';
import { DEFAULT_ITERATIONS, verifyPassword, type ScramDigest } from './credentials.ts';
import { prepLocal } from './jid.ts';
import { createScramServer } from './scram-server.ts';

/** RFC 6120 §6.5 failure conditions. */
export type SaslFailure =
  | 'aborted'
  | 'encryption-required'
  | 'incorrect-encoding'
  | 'invalid-authzid'
  | 'invalid-mechanism'
  | 'malformed-request'
  | 'not-authorized'
  | 'temporary-auth-failure';

/** How an exchange ends. */
export type SaslOutcome =
  | { kind: 'success'; username: string; data: string | undefined }
  | { kind: 'failure'; condition: SaslFailure; text: string };

export type SaslStep =
  | { kind: 'challenge'; data: string }
  | SaslOutcome
  /**
   * The message that decides the login: who it is for (the prepared username, undefined if
   * the name is not valid), and the check of the credentials, run only if the throttle
   * allows an attempt now.
   */
  | { kind: 'verdict'; username: string | undefined; decide(): SaslOutcome | Promise<SaslOutcome> };

export interface SaslExchange {
  /** Feeds the next client message (decoded, as a UTF-8 string). */
  step(message: string): SaslStep;
}

export interface SaslService {
  mechanisms(plainAllowed: boolean): string[];
  /** undefined when the mechanism is unknown. */
  start(mechanism: string): SaslExchange | undefined;
}

const SCRAM: Record<string, ScramDigest> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-1': 'sha1' };
const PLAIN_CACHE_SIZE = 10_000;

export function createSaslService(accounts: AccountStore, domain: string): SaslService {
  const secret = randomBytes(32);
  const plainCache = new Map<string, { tag: Buffer; storedKey: Buffer }>();
  const tag = (username: string, password: string) =>
    createHmac('sha256', secret).update(`${username}\0${password}`).digest();

  /** RFC 6120 §6.3.8: an authzid, if any, must be the account's own bare JID. */
  function authorize(username: string, authzid: string | undefined): SaslOutcome {
    if (
      authzid !== undefined &&
      authzid !== '' &&
      authzid.toLowerCase() !== `${username}@${domain}`
    ) {
      return { kind: 'failure', condition: 'invalid-authzid', text: 'authzid is not the account' };
    }
    return { kind: 'success', username, data: undefined };
  }

  function scram(digest: ScramDigest): SaslExchange {
    let tried: string | undefined;
    let steps = 0;
    const server = createScramServer({
      digest,
      lookup(name) {
        const username = prepLocal(name);
        tried = username;
        const stored = username === undefined ? undefined : accounts.credentials(username);
        if (username === undefined || stored === undefined) return undefined;
        return { username, salt: stored.salt, iterations: stored.iterations, keys: stored[digest] };
      },
      // RFC 5802 §5.1: the same fake salt for the same unknown name, every time.
      fake: (name) => ({
        salt: createHmac('sha256', secret).update(name).digest().subarray(0, 16),
        iterations: DEFAULT_ITERATIONS,
      }),
    });
    const finish = (message: string): SaslOutcome => {
      const result = server.step(message);
      if (result.kind === 'continue') {
        return { kind: 'failure', condition: 'malformed-request', text: 'unexpected message' };
      }
      if (result.kind === 'failure') return result;
      const authorized = authorize(result.username, result.authzid);
      return authorized.kind === 'success' ? { ...authorized, data: result.message } : authorized;
    };
    return {
      step(message) {
        // RFC 5802 §5: client-first, then client-final, which holds the proof.
        if (++steps === 2)
          return { kind: 'verdict', username: tried, decide: () => finish(message) };
        const result = server.step(message);
        if (result.kind === 'continue') return { kind: 'challenge', data: result.message };
        if (result.kind === 'failure') return result;
        return { kind: 'failure', condition: 'malformed-request', text: 'exchange over' };
      },
    };
  }

  async function plain(username: string | undefined, authzid: string, password: string) {
    const stored = username === undefined ? undefined : accounts.credentials(username);
    const denied: SaslOutcome = {
      kind: 'failure',
      condition: 'not-authorized',
      text: 'wrong username or password',
    };
    if (username === undefined || stored === undefined) return denied;
    const cached = plainCache.get(username);
    const candidate = tag(username, password);
    let ok =
      cached !== undefined &&
      cached.storedKey.equals(stored.sha256.storedKey) &&
      timingSafeEqual(cached.tag, candidate);
    if (!ok) {
      ok = await verifyPassword(stored, password);
      if (ok) {
        if (plainCache.size >= PLAIN_CACHE_SIZE) plainCache.clear();
        plainCache.set(username, { tag: candidate, storedKey: stored.sha256.storedKey });
      }
    }
    return ok ? authorize(username, authzid) : denied;
  }

  return {
    mechanisms(plainAllowed) {
      return plainAllowed ? [...Object.keys(SCRAM), 'PLAIN'] : Object.keys(SCRAM);
    },
    start(mechanism) {
      const digest = SCRAM[mechanism];
      if (digest !== undefined) return scram(digest);
      if (mechanism === 'PLAIN') {
        let used = false;
        return {
          step(message) {
            if (used)
              return { kind: 'failure', condition: 'malformed-request', text: 'exchange over' };
            used = true;
            // RFC 4616 §2: [authzid] NUL authcid NUL passwd
            const parts = message.split('\0');
            if (parts.length !== 3)
              return { kind: 'failure', condition: 'malformed-request', text: 'bad PLAIN message' };
            const [authzid = '', authcid = '', password = ''] = parts;
            const username = prepLocal(authcid); // the same preparation as at registration
            return { kind: 'verdict', username, decide: () => plain(username, authzid, password) };
          },
        };
      }
      return undefined;
    },
  };
}
