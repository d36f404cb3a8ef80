import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Action, JobCounts, JobInfo, JobSpec, TaskState } from './core/types.ts';

/**
 * The manager's durable state in SQLite (WAL). Only tasks that were ever handed out have a row:
 * an untouched task is queued, so a job of a million tasks is one INSERT.
 * Every batch of actions is applied in one transaction before any message leaves the manager.
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

export interface StoredJob {
  info: JobInfo;
  cancelledAt?: number;
  finishedAt?: number;
  counts?: JobCounts;
  notified: boolean;
}

export interface StoredTask {
  jobId: number;
  index: number;
  state: TaskState;
  attempt: number;
  failures: number;
  lost: number;
  worker?: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number | null;
  stdoutTail: string | null;
  stderrTail: string | null;
  error: string | null;
}

export interface ManagerStore {
  insertJob(owner: string, replyTo: string, spec: JobSpec, at: number): JobInfo;
  /** Apply the store effects of a batch of actions in one transaction. */
  apply(actions: readonly Action[]): void;
  /** Record that the job's `job_finished` went out (or, with false, that it must go again). */
  markNotified(jobId: number, notified?: boolean): void;
  jobs(): StoredJob[];
  /** Finished jobs whose `job_finished` is not recorded as delivered. */
  unnotifiedJobs(): StoredJob[];
  /** Task rows of jobs that have not finished (what a restarted manager needs). */
  openTasks(): StoredTask[];
  task(jobId: number, index: number): StoredTask | undefined;
  failedTasks(jobId: number, limit: number): StoredTask[];
  /** Deletes these jobs and their tasks (finished jobs the scheduler forgot); returns how many went. */
  deleteJobs(jobIds: readonly number[]): number;
  close(): void;
}

type Row = Record<string, unknown>;

const num = (v: unknown): number | null =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toTask(row: Row): StoredTask {
  return {
    jobId: num(row.job_id) ?? 0,
    index: num(row.idx) ?? 0,
    state: (str(row.state) ?? 'queued') as TaskState,
    attempt: num(row.attempt) ?? 0,
    failures: num(row.failures) ?? 0,
    lost: num(row.lost) ?? 0,
    worker: str(row.worker) ?? undefined,
    exitCode: num(row.exit_code),
    signal: str(row.signal),
    durationMs: num(row.duration_ms),
    stdoutTail: str(row.stdout_tail),
    stderrTail: str(row.stderr_tail),
    error: str(row.error),
  };
}

function toJob(row: Row): StoredJob {
  const finishedAt = num(row.finished_at) ?? undefined;
  return {
    info: {
      id: num(row.id) ?? 0,
      owner: str(row.owner) ?? '',
      replyTo: str(row.reply_to) ?? '',
      spec: JSON.parse(str(row.spec) ?? '{}') as JobSpec,
      submittedAt: num(row.submitted_at) ?? 0,
    },
    cancelledAt: num(row.cancelled_at) ?? undefined,
    finishedAt,
    counts:
      finishedAt === undefined
        ? undefined
        : {
            queued: 0,
            running: 0,
            done: num(row.done) ?? 0,
            failed: num(row.failed) ?? 0,
            cancelled: num(row.cancelled) ?? 0,
          },
    notified: num(row.notified) === 1,
  };
}

export function openManagerStore(path: string): ManagerStore {
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
    throw new Error(
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
      case 'record': {
        const r = a.result;
        const state = a.outcome === 'retry' ? 'queued' : a.outcome;
        record.run(
          state,
          a.outcome === 'done' ? 0 : 1,
          a.outcome === 'retry' ? null : a.worker,
          r.exitCode,
          r.signal,
          r.durationMs,
          r.stdoutTail,
          r.stderrTail,
          r.error ?? null,
          Date.now(),
          r.jobId,
          r.index,
        );
        return;
      }
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
    insertJob(owner, replyTo, spec, at) {
      const { lastInsertRowid } = insertJob.run(owner, replyTo, JSON.stringify(spec), at);
      return { id: Number(lastInsertRowid), owner, replyTo, spec, submittedAt: at };
    },
    apply(actions) {
      if (actions.length === 0) return;
      db.exec('BEGIN');
      try {
        for (const a of actions) applyOne(a);
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    },
    markNotified: (jobId, value = true) => void notified.run(value ? 1 : 0, jobId),
    jobs: () => allJobs.all().map(toJob),
    unnotifiedJobs: () => unnotifiedJobs.all().map(toJob),
    openTasks: () => openTasks.all().map(toTask),
    task(jobId, index) {
      const row = oneTask.get(jobId, index);
      return row ? toTask(row) : undefined;
    },
    failedTasks: (jobId, limit) => failed.all(jobId, limit).map(toTask),
    deleteJobs(jobIds) {
      let count = 0;
      db.exec('BEGIN');
      try {
        for (const id of jobIds) {
          deleteTasks.run(id);
          count += Number(deleteJob.run(id).changes);
        }
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
      return count;
    },
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
