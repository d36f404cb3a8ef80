import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../../src-main/manager/rate-limit.ts';

describe('rate limiter', () => {
  it('allows a burst, refuses the rest, and refills over time per key', () => {
    let t = 0;
    const limiter = createRateLimiter({ burst: 3, perSecond: 2, now: () => t });
    expect([1, 2, 3, 4].map(() => limiter.take('alice'))).toEqual([true, true, true, false]);
    expect(limiter.take('bob')).toBe(true);
    t += 500;
    expect(limiter.take('alice')).toBe(true);
    expect(limiter.take('alice')).toBe(false);
    t += 10_000;
    expect([1, 2, 3, 4].map(() => limiter.take('alice'))).toEqual([true, true, true, false]);
  });
});
