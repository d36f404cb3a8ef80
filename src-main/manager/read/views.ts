import {
  WORKER_TASKS_LISTED,
  type JobDetail,
  type JobSummary,
  type TaskFailureView,
  type WhyReport,
  type WorkerStateName,
  type WorkerView,
} from '../../../shared/api.ts';
import { shownCounts, type JobTasks } from '../core/job-tasks.ts';
import type { WorkerProfile } from '../core/types.ts';
import { runningCount, type WorkerState } from '../core/workers.ts';
import { eta } from '../wire.ts';
import type { StoredTask } from '../store.ts';

/** The scheduler's and the store's records as the API's views (shared/api.ts): one mapping. */

export function jobState(job: JobTasks): JobSummary['state'] {
  if (job.cancelledAt !== undefined) return 'cancelled';
  return job.finishedAt !== undefined ? 'finished' : 'running';
}

export function jobSummary(job: JobTasks, now: number, waiting?: string): JobSummary {
  const { info } = job;
  const view: JobSummary = {
    jobId: info.id,
    owner: info.owner,
    command: info.spec.command,
    queue: info.spec.queue,
    state: jobState(job),
    counts: shownCounts(job),
    submittedAt: info.submittedAt,
  };
  if (job.finishedAt !== undefined) view.finishedAt = job.finishedAt;
  const left = eta(job, now);
  if (left !== undefined) view.etaSeconds = left;
  if (waiting !== undefined) view.waiting = waiting;
  return view;
}

export function failureView(t: StoredTask): TaskFailureView {
  const view: TaskFailureView = {
    index: t.index,
    exitCode: t.exitCode,
    signal: t.signal,
    stderrTail: t.stderrTail ?? '',
    stdoutTail: t.stdoutTail ?? '',
  };
  if (t.error !== null) view.error = t.error;
  return view;
}

export function jobDetail(
  job: JobTasks,
  now: number,
  failures: readonly StoredTask[],
  why: WhyReport,
): JobDetail {
  const { spec } = job.info;
  const detail: JobDetail = {
    ...jobSummary(job, now, why.reasons[0]),
    requires: [...spec.requires],
    ...(spec.cores === undefined ? {} : { cores: spec.cores }),
    ram: spec.ram,
    retries: spec.retries,
    failures: failures.map(failureView),
    why,
  };
  if (spec.cleanup !== undefined) detail.cleanup = spec.cleanup;
  return detail;
}

export function workerState(w: WorkerState): WorkerStateName {
  if (w.profile === undefined) return 'reporting';
  if (w.show !== undefined && w.show !== 'chat') return 'paused';
  return w.free.slots <= 0 ? 'busy' : 'available';
}

function resourceOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(slash + 1);
}

function withProfile(view: WorkerView, profile: WorkerProfile | undefined): WorkerView {
  if (profile === undefined) return view;
  return {
    ...view,
    os: profile.os,
    ram: profile.ram,
    cores: profile.cores,
    slots: profile.slots,
    provides: [...profile.provides],
  };
}

export function workerView(w: WorkerState): WorkerView {
  const running: WorkerView['running'] = [];
  for (const ref of w.running.values()) {
    if (running.length >= WORKER_TASKS_LISTED) break;
    running.push({ jobId: ref.jobId, index: ref.index });
  }
  const base: WorkerView = {
    jid: w.jid,
    name: resourceOf(w.jid),
    state: workerState(w),
    provides: [],
    running,
    runningCount: runningCount(w),
  };
  return withProfile(base, w.profile);
}

/** A worker the manager gave up on: its tasks went back to the queue, it runs none for us. */
export function silentWorkerView(jid: string, profile: WorkerProfile | undefined): WorkerView {
  const base: WorkerView = {
    jid,
    name: resourceOf(jid),
    state: 'unresponsive',
    provides: [],
    running: [],
    runningCount: 0,
  };
  return withProfile(base, profile);
}
