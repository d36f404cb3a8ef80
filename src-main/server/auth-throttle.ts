// Password guessing, held back before each attempt (RFC 6120 §6.4.5 leaves the policy to the
// server). Failures are counted under three keys: the account from one source address, the
// account from anywhere, and the address against any account. Past a few free failures each
// further one locks its key out, for twice as long as the previous lockout, up to a cap. While
// a key is locked no verdict is given at all, right password or wrong: the attempt is refused
// before the password is looked at, so neither a fast success nor a dropped connection tells
// the guesser anything, and a new connection starts from the same count.
//
// Who can be locked out, and for how long, is the trade-off:
// - the account from one address weighs most (5 failures, capped at 15 min): it locks out only
//   whoever shares that address with the guesser;
// - the account from anywhere locks after 4× as many and for at most a minute, since anyone
//   can make it fail: a guesser can slow a real account's logins, not shut it out;
// - the address locks after 4× as many against any accounts (15 min), against spraying;
// - an (account, address) pair that has logged in successfully since the server started is
//   exempt from the two shared keys, so the head node's manager and workers keep logging in
//   from their own addresses whatever a guesser does elsewhere.
// Verdicts on one account are decided one after another, so concurrent connections do not
// buy extra guesses. Memory is bounded: the oldest entries are forgotten first.
import type { Logger } from '../common/log.ts';
import { addressKey } from './source-address.ts';

export interface AuthThrottleOptions {
  /** Failures of one account from one address before lockouts begin; default 5. */
  freeFailures?: number;
  /** The first lockout; each further failure doubles it. Default 1 000 ms. */
  lockoutMs?: number;
  /** Longest lockout of an account from one address, and of an address; default 15 min. */
  maxLockoutMs?: number;
  /** Longest lockout of an account from everywhere; default 60 s. */
  maxAccountLockoutMs?: number;
  /** Reply delay per recent failure of the account from the address (success alike); 100 ms. */
  stepMs?: number;
  /** Failures are forgotten this long after the last one on a key; default 1 h. */
  forgetMs?: number;
  log?: Logger;
  now?: () => number;
}

/** What an attempt's outcome means for the count: 'void' tested no password. */
export type Verdict = 'granted' | 'denied' | 'void';

export type AttemptResult<T> =
  { locked: false; outcome: T; delayMs: number } | { locked: true; retryAfterMs: number };

export interface AuthThrottle {
  /**
   * Decides one login of `username` (prepared, or undefined if it is not a valid name) from
   * `address`: refused without calling `decide` while a lockout applies, else decided after
   * every earlier attempt on the same account has been recorded.
   */
  attempt<T>(
    username: string | undefined,
    address: string,
    decide: () => T | Promise<T>,
    verdict: (outcome: T) => Verdict,
  ): Promise<AttemptResult<T>>;
}

interface Entry {
  failures: number;
  last: number;
  until: number;
}

interface Keys {
  pair: string | undefined;
  account: string | undefined;
  source: string;
}

const MAX_ENTRIES = 100_000;
const MAX_DELAY_MS = 3_000;
const ACCOUNT_WEIGHT = 4;

export function createAuthThrottle(options: AuthThrottleOptions = {}): AuthThrottle {
  const free = options.freeFailures ?? 5;
  const lockoutMs = options.lockoutMs ?? 1_000;
  const maxLockoutMs = options.maxLockoutMs ?? 15 * 60_000;
  const maxAccountLockoutMs = Math.min(maxLockoutMs, options.maxAccountLockoutMs ?? 60_000);
  const stepMs = options.stepMs ?? 100;
  const forgetMs = Math.max(options.forgetMs ?? 3_600_000, maxLockoutMs);
  const now = options.now ?? Date.now;
  const log = options.log;
  const entries = new Map<string, Entry>();
  /** Pairs that logged in: exempt from the shared keys. Map order is age order. */
  const known = new Map<string, true>();
  const queues = new Map<string, Promise<unknown>>();

  const rule = (key: string) =>
    key.startsWith('p')
      ? { free, cap: maxLockoutMs }
      : key.startsWith('a')
        ? { free: free * ACCOUNT_WEIGHT, cap: maxAccountLockoutMs }
        : { free: free * ACCOUNT_WEIGHT, cap: maxLockoutMs };

  function entry(key: string | undefined, at: number): Entry | undefined {
    if (key === undefined) return undefined;
    const found = entries.get(key);
    if (found !== undefined && at >= found.until && at - found.last > forgetMs) {
      entries.delete(key);
      return undefined;
    }
    return found;
  }

  function lockedFor(keys: Keys, at: number): number {
    const applicable = [keys.pair];
    if (keys.pair === undefined || !known.has(keys.pair))
      applicable.push(keys.account, keys.source);
    let wait = 0;
    for (const key of applicable) wait = Math.max(wait, (entry(key, at)?.until ?? 0) - at);
    return wait;
  }

  function remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key); // re-inserted last: the Map's order is the order of last use
    map.set(key, value);
    if (map.size <= MAX_ENTRIES) return;
    let excess = map.size - MAX_ENTRIES * 0.9;
    for (const old of map.keys()) {
      if (excess-- <= 0) break;
      map.delete(old);
    }
  }

  function failed(keys: Keys, username: string | undefined, address: string, at: number): void {
    const lockouts: Record<string, number> = {};
    for (const [name, key] of [
      ['account from address', keys.pair],
      ['account', keys.account],
      ['address', keys.source],
    ] as const) {
      if (key === undefined) continue;
      const e = entry(key, at) ?? { failures: 0, last: at, until: 0 };
      e.failures++;
      e.last = at;
      const { free: allowed, cap } = rule(key);
      if (e.failures >= allowed) {
        const ms = Math.min(cap, lockoutMs * 2 ** (e.failures - allowed));
        e.until = at + ms;
        lockouts[name] = ms;
      }
      remember(entries, key, e);
    }
    // One line per lockout begun, never one per refused attempt.
    if (Object.keys(lockouts).length > 0) {
      log?.warn('login locked out after failed attempts', {
        username,
        address,
        failures: entry(keys.pair ?? keys.source, at)?.failures,
        lockoutMs: lockouts,
      });
    }
  }

  async function evaluate<T>(
    keys: Keys,
    username: string | undefined,
    address: string,
    decide: () => T | Promise<T>,
    verdict: (outcome: T) => Verdict,
  ): Promise<AttemptResult<T>> {
    const wait = lockedFor(keys, now());
    if (wait > 0) return { locked: true, retryAfterMs: wait };
    const recent = entry(keys.pair, now())?.failures ?? 0;
    const delayMs = Math.min(MAX_DELAY_MS, stepMs * recent);
    const outcome = await decide();
    const at = now();
    // A lockout begun meanwhile by another account's failure from this address hides it too.
    const late = lockedFor(keys, at);
    if (late > 0) return { locked: true, retryAfterMs: late };
    const kind = verdict(outcome);
    if (kind === 'denied') failed(keys, username, address, at);
    if (kind === 'granted' && keys.pair !== undefined) {
      entries.delete(keys.pair);
      remember(known, keys.pair, true);
    }
    return { locked: false, outcome, delayMs };
  }

  return {
    attempt(username, address, decide, verdict) {
      const source = addressKey(address);
      const keys: Keys = {
        pair: username === undefined ? undefined : `p ${username} ${source}`,
        account: username === undefined ? undefined : `a ${username}`,
        source: `s ${source}`,
      };
      const queue = keys.account ?? keys.source;
      const run = (queues.get(queue) ?? Promise.resolve()).then(() =>
        evaluate(keys, username, address, decide, verdict),
      );
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      queues.set(queue, settled);
      void settled.then(() => {
        if (queues.get(queue) === settled) queues.delete(queue);
      });
      return run;
    },
  };
}
