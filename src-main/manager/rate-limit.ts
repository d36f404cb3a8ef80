/**
 * A token bucket per key: `burst` tokens at once, refilled at `perSecond`. Pure, with an injected
 * clock, O(1) per call; buckets that have refilled completely are forgotten (swept once a
 * minute) so memory stays bounded.
 */
export interface RateLimiter {
  /** True if `cost` tokens (default 1) may be spent now, and spends them. */
  take(key: string, cost?: number): boolean;
  /** Tokens the key has now, spending none. */
  available(key: string): number;
}

export function createRateLimiter(options: {
  burst: number;
  perSecond: number;
  now: () => number;
}): RateLimiter {
  const { burst, perSecond, now } = options;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = now();

  function sweep(t: number): void {
    if (t - lastSweep < 60_000) return;
    lastSweep = t;
    for (const [key, b] of buckets) {
      if (b.tokens + ((t - b.at) / 1000) * perSecond >= burst) buckets.delete(key);
    }
  }

  function refill(key: string, t: number): { tokens: number; at: number } {
    const b = buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    return b;
  }

  return {
    take(key, cost = 1) {
      const t = now();
      sweep(t);
      const b = refill(key, t);
      buckets.set(key, b);
      if (b.tokens < cost) return false;
      b.tokens -= cost;
      return true;
    },
    available(key) {
      const b = buckets.get(key);
      return b ? refill(key, now()).tokens : burst;
    },
  };
}
