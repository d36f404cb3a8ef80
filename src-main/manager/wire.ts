import {
  errorReply,
  type JobStatus,
  type TaskFailure,
  type TaskRef as WireRef,
  type TaskResult as WireResult,
  type TaskSpec as WireSpec,
  type UserReply,
} from '../../shared/protocol/index.ts';
import { shownCounts, type JobTasks } from './core/job-tasks.ts';
import type { TaskDispatch, TaskRef, TaskResult } from './core/types.ts';
import type { StoredTask } from './store.ts';

/**
 * The manager's one mapping between its camelCase domain types and the snake_case wire types of
 * shared/protocol (docs/PROTOCOL.md). Nothing else in the manager spells a wire field.
 */

export const toWireRef = (t: TaskRef): WireRef => ({
  job_id: t.jobId,
  index: t.index,
  attempt: t.attempt,
});

export function toWireTask(t: TaskDispatch): WireSpec {
  return {
    ...toWireRef(t),
    command: t.command,
    ...(t.cleanup === undefined ? {} : { cleanup: t.cleanup }),
    cores: t.cores,
    ram: t.ram,
    ...(t.timeout === undefined ? {} : { timeout: t.timeout }),
    owner: t.owner,
  };
}

export const fromWireRef = (r: WireRef): TaskRef => ({
  jobId: r.job_id,
  index: r.index,
  attempt: r.attempt,
});

export function fromWireResult(r: WireResult): TaskResult {
  return {
    ...fromWireRef(r),
    exitCode: r.exit_code,
    signal: r.signal,
    durationMs: r.duration_ms,
    stdoutTail: r.stdout_tail,
    stderrTail: r.stderr_tail,
    ...(r.error === undefined ? {} : { error: r.error }),
  };
}

/** Seconds left at the rate tasks have ended so far; undefined until there is a rate to go by. */
export function eta(job: JobTasks, now: number): number | undefined {
  if (job.finishedAt !== undefined || job.startedAt === undefined) return undefined;
  const ended = job.counts.done + job.counts.failed;
  const elapsed = (now - job.startedAt) / 1000;
  if (ended === 0 || elapsed <= 0) return undefined;
  const left = job.counts.queued + job.counts.running;
  return Math.round((left / ended) * elapsed);
}

/** One job's progress as a `status` reply lists it; `command` as the caller shortened it. */
export function toJobStatus(job: JobTasks, now: number, command: string): JobStatus {
  const { info } = job;
  const counts = shownCounts(job);
  const view: JobStatus = {
    job_id: info.id,
    command,
    queue: info.spec.queue,
    state:
      job.cancelledAt !== undefined
        ? 'cancelled'
        : job.finishedAt !== undefined
          ? 'finished'
          : 'running',
    done: counts.done,
    failed: counts.failed,
    cancelled: counts.cancelled,
    running: counts.running,
    queued: counts.queued,
    submitted_at: new Date(info.submittedAt).toISOString(),
  };
  if (job.finishedAt !== undefined) view.finished_at = new Date(job.finishedAt).toISOString();
  const left = eta(job, now);
  if (left !== undefined) view.eta_s = left;
  return view;
}

/** A failed task as a one-job `status` lists it; `stderrTail` as the caller shortened it. */
export const toTaskFailure = (t: StoredTask, stderrTail: string): TaskFailure => ({
  index: t.index,
  exit_code: t.exitCode,
  signal: t.signal,
  stderr_tail: stderrTail,
});

/** The same answer for a job that does not exist and one that is not yours: ids tell nothing. */
export function unknownJob(jobId: number | undefined): UserReply {
  return errorReply({ code: 'unknown_job', reason: `no job ${String(jobId)} of yours` });
}
