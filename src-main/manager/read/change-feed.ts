import type { ApiEvent, ApiEvents } from '../../../shared/api.ts';
import type { Activity } from './activity.ts';
import type { ReadModel } from './read-model.ts';

/**
 * Change events for the renderer, coalesced: however many stanzas a burst brings, listeners get
 * at most one `jobs:changed` per `intervalMs` (with each changed job once) and one `pool:changed`
 * per `poolIntervalMs`; `jobs:finished` goes with the next flush. Nothing is gathered while
 * nobody listens. The timer is injected so tests drive the flushes themselves.
 */

export type FeedListener = <E extends ApiEvent>(event: E, payload: ApiEvents[E]) => void;

export interface ChangeFeed {
  subscribe(listener: FeedListener): () => void;
  stop(): void;
}

export interface ChangeFeedOptions {
  activity: Activity;
  read: ReadModel;
  now: () => number;
  intervalMs?: number;
  poolIntervalMs?: number;
  /** Runs `fn` once after `ms`; returns a cancel function. Default: setTimeout. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

/** A burst that touches more jobs than this sends the most recent ones; lists re-fetch anyway. */
const MAX_JOBS_PER_EVENT = 500;

const defaultSchedule = (fn: () => void, ms: number) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { activity, read, now } = options;
  const intervalMs = options.intervalMs ?? 250;
  const poolIntervalMs = options.poolIntervalMs ?? 1000;
  const schedule = options.schedule ?? defaultSchedule;
  const listeners = new Set<FeedListener>();
  const jobs = new Set<number>();
  let finished: ApiEvents['jobs:finished'][] = [];
  let poolDirty = false;
  let lastPool = -Infinity;
  let cancel: (() => void) | undefined;

  function emit<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void {
    for (const listener of listeners) listener(event, payload);
  }

  function later(ms: number): void {
    cancel ??= schedule(flush, ms);
  }

  function flush(): void {
    cancel = undefined;
    if (jobs.size > 0) {
      const ids = [...jobs].slice(-MAX_JOBS_PER_EVENT);
      jobs.clear();
      emit('jobs:changed', { jobs: read.summaries(ids) });
    }
    for (const f of finished.splice(0)) emit('jobs:finished', f);
    if (!poolDirty) return;
    const wait = lastPool + poolIntervalMs - now();
    if (wait > 0) return later(wait);
    poolDirty = false;
    lastPool = now();
    emit('pool:changed', { counters: read.counters() });
  }

  const stopObserving = activity.onChange((change) => {
    if (listeners.size === 0) return;
    for (const id of change.jobs) jobs.add(id);
    for (const f of change.finished) finished.push({ jobId: f.jobId, counts: { ...f.counts } });
    poolDirty = true;
    later(intervalMs);
  });

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        cancel?.();
        cancel = undefined;
        jobs.clear();
        finished = [];
        poolDirty = false;
      };
    },
    stop() {
      stopObserving();
      cancel?.();
      cancel = undefined;
      listeners.clear();
    },
  };
}
