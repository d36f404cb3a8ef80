import type { JobTasks } from './core/job-tasks.ts';
import type { StoredTask } from './store.ts';

/** The wire form of one job's progress (docs/PROTOCOL.md, `status` reply). */
export interface JobStatusView {
  job_id: number;
  command: string;
  queue: number;
  state: 'running' | 'finished' | 'cancelled';
  done: number;
  failed: number;
  cancelled: number;
  running: number;
  queued: number;
  submitted_at: string;
  finished_at?: string;
  eta_s?: number;
  failures?: {
    index: number;
    exit_code: number | null;
    signal: string | null;
    stderr_tail: string;
  }[];
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

export function jobStatusView(job: JobTasks, now: number, failures?: StoredTask[]): JobStatusView {
  const { counts, info } = job;
  const view: JobStatusView = {
    job_id: info.id,
    command: info.spec.command,
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
  if (failures) {
    view.failures = failures.map((t) => ({
      index: t.index,
      exit_code: t.exitCode,
      signal: t.signal,
      stderr_tail: t.error ?? t.stderrTail ?? '',
    }));
  }
  return view;
}
