// Watches the manager's store while the chaos runs: how far the job is (which gates the fault
// schedule), when results were recorded (time to recover after a restart), and whether any task
// already recorded done is ever recorded again (a duplicate: its row changes after the fact).
// Either backend: a SQLite file or the PostgreSQL store that several managers share.
import type { StoreReader } from '../harness/store-reader.ts';

export interface StoreMonitor {
  /** Tasks of the job recorded done, at the last poll. */
  done(): number;
  /** Indices whose done record changed after it was first seen: recorded twice. */
  duplicates(): number[];
  /** Resolves once `done() >= count`, or `stop` says so; polls every `pollMs`. */
  until(count: number, stop: () => boolean): Promise<void>;
  /** The first result recorded after `since` (epoch ms), waiting for it up to `timeoutMs`. */
  firstRecordAfter(since: number, timeoutMs: number): Promise<number | undefined>;
  /** Stops after one last poll. */
  stop(): Promise<void>;
}

interface DoneRow {
  idx: number;
  worker: string | null;
  attempt: number;
  ended_at: number | string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startStoreMonitor(store: StoreReader, jobId: number, pollMs = 200): StoreMonitor {
  const seen = new Map<number, string>();
  const duplicated = new Set<number>();
  let done = 0;
  let stopped = false;

  async function read<T>(sql: string, ...params: number[]): Promise<T[] | undefined> {
    try {
      return await store.query<T>(sql, ...params);
    } catch {
      return undefined; // busy, mid-restart, or PostgreSQL restarting: the next poll will see it
    }
  }

  async function poll(): Promise<void> {
    const rows = await read<DoneRow>(
      "SELECT idx, worker, attempt, ended_at FROM tasks WHERE job_id = ? AND state = 'done'",
      jobId,
    );
    if (!rows) return;
    done = rows.length;
    for (const row of rows) {
      row.idx = Number(row.idx);
      const signature = `${row.worker ?? ''}|${row.attempt}|${row.ended_at ?? ''}`;
      const before = seen.get(row.idx);
      if (before === undefined) seen.set(row.idx, signature);
      else if (before !== signature) duplicated.add(row.idx);
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await poll();
      await sleep(pollMs);
    }
  })();

  return {
    done: () => done,
    duplicates: () => [...duplicated].sort((a, b) => a - b),
    async until(count, stop) {
      while (done < count && !stop() && !stopped) await sleep(pollMs / 2);
    },
    async firstRecordAfter(since, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && !stopped) {
        const [row] =
          (await read<{ at: number | string | null }>(
            'SELECT min(ended_at) AS at FROM tasks WHERE job_id = ? AND ended_at > ?',
            jobId,
            since,
          )) ?? [];
        if (row?.at != null) return Number(row.at);
        await sleep(50);
      }
      return undefined;
    },
    async stop() {
      stopped = true;
      await loop;
      await poll();
    },
  };
}
