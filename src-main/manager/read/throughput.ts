import type { ThroughputPoint } from '../../../shared/api.ts';

/**
 * Tasks that ended, counted in fixed intervals over the last minutes: a ring of buckets, so
 * recording is O(1) whatever the rate and the chart's points cost O(buckets). Pure: the caller
 * passes the time.
 */

export interface Throughput {
  add(at: number, done: number, failed: number): void;
  /** The last `buckets` intervals up to `now`, oldest first; the newest one may be partial. */
  points(now: number): ThroughputPoint[];
}

export function createThroughput(
  options: { bucketMs?: number; buckets?: number } = {},
): Throughput {
  const bucketMs = options.bucketMs ?? 10_000;
  const size = options.buckets ?? 60;
  const starts = new Float64Array(size).fill(-1);
  const done = new Float64Array(size);
  const failed = new Float64Array(size);

  function slot(at: number): number {
    const start = Math.floor(at / bucketMs) * bucketMs;
    const i = Math.floor(at / bucketMs) % size;
    if (starts[i] !== start) {
      starts[i] = start;
      done[i] = 0;
      failed[i] = 0;
    }
    return i;
  }

  return {
    add(at, d, f) {
      const i = slot(at);
      done[i] = (done[i] ?? 0) + d;
      failed[i] = (failed[i] ?? 0) + f;
    },
    points(now) {
      const current = Math.floor(now / bucketMs) * bucketMs;
      const out: ThroughputPoint[] = [];
      for (let k = size - 1; k >= 0; k -= 1) {
        const at = current - k * bucketMs;
        const i = Math.floor(at / bucketMs) % size;
        const held = starts[i] === at;
        out.push({
          at,
          seconds: (k === 0 ? Math.max(now - at, 1) : bucketMs) / 1000,
          done: held ? (done[i] ?? 0) : 0,
          failed: held ? (failed[i] ?? 0) : 0,
        });
      }
      return out;
    },
  };
}
