import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Action } from './core/types.ts';
import { recordValues, toJob, toTask } from './store-rows.ts';
import { StoreError, type ManagerStore } from './store.ts';

/**
 * The manager's store in one SQLite file (WAL): the default, for one manager. node:sqlite is
 * synchronous, so each method does its work at once and returns a settled promise; the outbox's
 * batches cost no more than when the interface was synchronous.
 */

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL,
  reply_to TEXT NOT NULL,
  spec TEXT NOT NULL,
  submitted_at INTEGER NOT NULL,
  cancelled_at INTEGER,
  finished_at INTEGER,
  done INTEGER, failed INTEGER, cancelled INTEGER,
  notified INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner);
CREATE TABLE IF NOT EXISTS tasks (
  job_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  lost INTEGER NOT NULL DEFAULT 0,
  worker TEXT,
  exit_code INTEGER,
  signal TEXT,
  duration_ms REAL,
  stdout_tail TEXT,
  stderr_tail TEXT,
  error TEXT,
  ended_at INTEGER,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
-- The failures a one-job status lists, without walking the job's other task rows (a job of
-- millions of done tasks made every such status scan them all). Added to existing stores as well.
CREATE INDEX IF NOT EXISTS tasks_failed ON tasks (job_id, idx) WHERE state = 'failed';
`;

/** Runs `work` in a transaction: all of it or nothing. */
function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN');
  try {
    const value = work();
    db.exec('COMMIT');
    return value;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** A settled promise of `work()`'s value, or of its error: a failing query rejects, never throws. */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

export function openSqliteStore(path: string): ManagerStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  // WAL with synchronous=NORMAL survives a killed process (the OS keeps the writes); only a power
  // failure can lose the last transactions, which a restarted worker's resend then repairs.
  // busy_timeout first: after a crash the first connection recovers the WAL, and a reader of the
  // store (a backup, an ops query) doing so at that moment made the manager fail to start with
  // "database is locked" (SQLITE_BUSY_RECOVERY; found by test/chaos).
  db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  db.exec(SCHEMA);
  const version = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get();
  if (version === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
  } else if (Number(version.value) !== SCHEMA_VERSION) {
    db.close();
    throw new StoreError(
      'schema',
      `store ${path} has schema ${String(version.value)}; this manager needs ${SCHEMA_VERSION}`,
    );
  }

  const s = (sql: string): StatementSync => db.prepare(sql);
  const insertJob = s('INSERT INTO jobs (owner, reply_to, spec, submitted_at) VALUES (?, ?, ?, ?)');
  const assign =
    s(`INSERT INTO tasks (job_id, idx, state, attempt, worker) VALUES (?, ?, 'running', ?, ?)
    ON CONFLICT (job_id, idx) DO UPDATE SET state = 'running', attempt = excluded.attempt, worker = excluded.worker`);
  const record =
    s(`UPDATE tasks SET state = ?, failures = failures + ?, worker = ?, exit_code = ?, signal = ?,
    duration_ms = ?, stdout_tail = ?, stderr_tail = ?, error = ?, ended_at = ? WHERE job_id = ? AND idx = ?`);
  const requeue = s(
    "UPDATE tasks SET state = 'queued', worker = NULL, lost = ? WHERE job_id = ? AND idx = ?",
  );
  const giveUp =
    s(`UPDATE tasks SET state = 'failed', worker = NULL, lost = lost + 1, error = ?, ended_at = ?
    WHERE job_id = ? AND idx = ?`);
  const cancelJob = s('UPDATE jobs SET cancelled_at = ? WHERE id = ?');
  const finishJob = s(
    'UPDATE jobs SET finished_at = ?, done = ?, failed = ?, cancelled = ? WHERE id = ?',
  );
  const notified = s('UPDATE jobs SET notified = ? WHERE id = ?');
  const allJobs = s('SELECT * FROM jobs ORDER BY id');
  const unnotifiedJobs = s(
    'SELECT * FROM jobs WHERE finished_at IS NOT NULL AND notified = 0 ORDER BY id',
  );
  const openTasks = s(
    'SELECT t.* FROM tasks t JOIN jobs j ON j.id = t.job_id WHERE j.finished_at IS NULL',
  );
  const oneTask = s('SELECT * FROM tasks WHERE job_id = ? AND idx = ?');
  const deleteJob = s('DELETE FROM jobs WHERE id = ?');
  const deleteTasks = s('DELETE FROM tasks WHERE job_id = ?');
  const failed = s(
    "SELECT * FROM tasks WHERE job_id = ? AND state = 'failed' ORDER BY idx LIMIT ?",
  );

  function applyOne(a: Action): void {
    switch (a.kind) {
      case 'dispatch':
        for (const t of a.tasks) assign.run(t.jobId, t.index, t.attempt, a.worker);
        return;
      case 'record':
        record.run(...recordValues(a), Date.now(), a.result.jobId, a.result.index);
        return;
      case 'requeue':
        requeue.run(a.lost, a.task.jobId, a.task.index);
        return;
      case 'give_up':
        giveUp.run(a.reason, Date.now(), a.task.jobId, a.task.index);
        return;
      case 'cancel_job':
        cancelJob.run(a.at, a.jobId);
        return;
      case 'job_finished':
        finishJob.run(a.at, a.counts.done, a.counts.failed, a.counts.cancelled, a.jobId);
        return;
      case 'cancel_tasks':
      case 'ack':
        return;
    }
  }

  let closed = false;
  return {
    kind: 'sqlite',
    election: undefined,
    insertJob: (owner, replyTo, spec, at) =>
      settled(() => {
        const { lastInsertRowid } = insertJob.run(owner, replyTo, JSON.stringify(spec), at);
        return { id: Number(lastInsertRowid), owner, replyTo, spec, submittedAt: at };
      }),
    apply(actions) {
      if (actions.length === 0) return Promise.resolve();
      return settled(() =>
        transaction(db, () => {
          for (const a of actions) applyOne(a);
        }),
      );
    },
    markNotified: (jobId, value = true) => settled(() => void notified.run(value ? 1 : 0, jobId)),
    jobs: () => settled(() => allJobs.all().map(toJob)),
    unnotifiedJobs: () => settled(() => unnotifiedJobs.all().map(toJob)),
    openTasks: () => settled(() => openTasks.all().map(toTask)),
    task: (jobId, index) =>
      settled(() => {
        const row = oneTask.get(jobId, index);
        return row ? toTask(row) : undefined;
      }),
    failedTasks: (jobId, limit) => settled(() => failed.all(jobId, limit).map(toTask)),
    deleteJobs: (jobIds) =>
      settled(() =>
        transaction(db, () => {
          let count = 0;
          for (const id of jobIds) {
            deleteTasks.run(id);
            count += Number(deleteJob.run(id).changes);
          }
          return count;
        }),
      ),
    close() {
      if (!closed) {
        closed = true;
        db.close();
      }
      return Promise.resolve();
    },
  };
}
