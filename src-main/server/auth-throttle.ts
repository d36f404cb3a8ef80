// Slows down password guessing: every failed login from an address makes the next failure
// reply from that address wait longer (linearly, up to a cap), forgotten after a quiet window.
// Successful logins are never delayed, so a busy NAT or a pool on one host is not punished for
// one bad client. Per connection, the session closes the stream after a few failures.

export interface AuthThrottleOptions {
  /** Delay added per recent failure from the same address; default 100 ms. */
  stepMs?: number;
  /** Longest delay; default 3 s. */
  maxDelayMs?: number;
  /** Failures older than this are forgotten; default 60 s. */
  windowMs?: number;
  now?: () => number;
}

export interface AuthThrottle {
  /** Records a failure and returns how long to hold back its reply, in ms. */
  failed(address: string): number;
}

const MAX_ADDRESSES = 10_000;

export function createAuthThrottle(options: AuthThrottleOptions = {}): AuthThrottle {
  const stepMs = options.stepMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 3_000;
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; last: number }>();

  function prune(at: number): void {
    for (const [address, entry] of failures) {
      if (at - entry.last > windowMs) failures.delete(address);
    }
    // Still full: a flood from many addresses; drop the oldest half rather than grow.
    let excess = failures.size - MAX_ADDRESSES / 2;
    for (const address of failures.keys()) {
      if (excess-- <= 0) break;
      failures.delete(address);
    }
  }

  return {
    failed(address) {
      const at = now();
      let entry = failures.get(address);
      if (entry === undefined || at - entry.last > windowMs) {
        if (failures.size >= MAX_ADDRESSES) prune(at);
        entry = { count: 0, last: at };
      }
      entry.count++;
      entry.last = at;
      failures.delete(address); // re-insert: oldest first, for pruning
      failures.set(address, entry);
      return Math.min(maxDelayMs, stepMs * entry.count);
    },
  };
}
