/**
 * A token bucket per key: `burst` requests at once, refilled at `perSecond`. Pure, with an
 * injected clock; buckets that have refilled completely are forgotten so memory stays bounded.
 */
export interface RateLimiter {
  /** True if the request may go ahead (and takes a token). */
  take(key: string): boolean;
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

  return {
    take(key) {
      const t = now();
      sweep(t);
      const b = buckets.get(key) ?? { tokens: burst, at: t };
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      buckets.set(key, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}
