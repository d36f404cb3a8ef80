// Watches the manager's store while the chaos runs: how far the job is (which gates the fault
// schedule), when results were recorded (time to recover after a restart), and whether any task
// already recorded done is ever recorded again (a duplicate: its row changes after the fact).
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface StoreMonitor {
  /** Tasks of the job recorded done, at the last poll. */
  done(): number;
  /** Indices whose done record changed after it was first seen: recorded twice. */
  duplicates(): number[];
  /** Resolves once `done() >= count`, or `stop` says so; polls every `pollMs`. */
  until(count: number, stop: () => boolean): Promise<void>;
  /** The first result recorded after `since` (epoch ms), waiting for it up to `timeoutMs`. */
  firstRecordAfter(since: number, timeoutMs: number): Promise<number | undefined>;
  stop(): void;
}

interface DoneRow {
  idx: number;
  worker: string | null;
  attempt: number;
  ended_at: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startStoreMonitor(dataDir: string, jobId: number, pollMs = 200): StoreMonitor {
  const path = join(dataDir, 'manager.db');
  const seen = new Map<number, string>();
  const duplicated = new Set<number>();
  let done = 0;
  let stopped = false;

  function read<T>(sql: string, ...params: number[]): T[] | undefined {
    // A fresh read-only handle each time: the manager is killed and restarted under us.
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path, { readOnly: true });
      db.exec('PRAGMA busy_timeout = 1000');
      return db.prepare(sql).all(...params) as T[];
    } catch {
      return undefined; // busy or mid-restart: the next poll will see it
    } finally {
      db?.close();
    }
  }

  function poll(): void {
    const rows = read<DoneRow>(
      "SELECT idx, worker, attempt, ended_at FROM tasks WHERE job_id = ? AND state = 'done'",
      jobId,
    );
    if (!rows) return;
    done = rows.length;
    for (const row of rows) {
      const signature = `${row.worker ?? ''}|${row.attempt}|${row.ended_at ?? ''}`;
      const before = seen.get(row.idx);
      if (before === undefined) seen.set(row.idx, signature);
      else if (before !== signature) duplicated.add(row.idx);
    }
  }

  const loop = (async () => {
    while (!stopped) {
      poll();
      await sleep(pollMs);
    }
  })();
  void loop;

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
          read<{ at: number | null }>(
            'SELECT min(ended_at) AS at FROM tasks WHERE job_id = ? AND ended_at > ?',
            jobId,
            since,
          ) ?? [];
        if (row?.at != null) return row.at;
        await sleep(50);
      }
      return undefined;
    },
    stop() {
      stopped = true;
      poll();
    },
  };
}
