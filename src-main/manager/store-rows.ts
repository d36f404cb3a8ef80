import type { Action, JobSpec, TaskState } from './core/types.ts';
import { storable, type StoredJob, type StoredTask } from './store.ts';

/**
 * Rows of `jobs` and `tasks` as the store's records, and a recorded result as the values of its
 * task row, for both backends: the tables have the same columns on each. SQLite gives integers as
 * numbers (or bigints); `pg` gives BIGINT as a string.
 */

export type Row = Record<string, unknown>;

const num = (v: unknown): number | null => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v !== '') return Number(v);
  return null;
};
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function toTask(row: Row): StoredTask {
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

export function toJob(row: Row): StoredJob {
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

/**
 * The values a `record` action writes to its task row, in this order: state, failures to add,
 * worker, exit_code, signal, duration_ms, stdout_tail, stderr_tail, error. A retried task goes
 * back to the queue with no worker; every outcome but `done` counts as a failure.
 */
export function recordValues(
  a: Extract<Action, { kind: 'record' }>,
): [
  state: TaskState,
  failures: 0 | 1,
  worker: string | null,
  exitCode: number | null,
  signal: string | null,
  durationMs: number,
  stdoutTail: string,
  stderrTail: string,
  error: string | null,
] {
  const r = a.result;
  return [
    a.outcome === 'retry' ? 'queued' : a.outcome,
    a.outcome === 'done' ? 0 : 1,
    a.outcome === 'retry' ? null : a.worker,
    r.exitCode,
    storable(r.signal),
    r.durationMs,
    storable(r.stdoutTail),
    storable(r.stderrTail),
    storable(r.error ?? null),
  ];
}
