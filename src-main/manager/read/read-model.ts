import {
  PAGE_DEFAULT,
  type JobDetail,
  type JobSummary,
  type Page,
  type PageRequest,
  type PoolCounters,
  type PoolSummary,
  type WhyReport,
  type WorkerView,
} from '../../../shared/api.ts';
import { MAX_FAILURES_LISTED } from '../../../shared/protocol/limits.ts';
import { shownCounts, type JobTasks } from '../core/job-tasks.ts';
import type { Scheduler } from '../core/scheduler.ts';
import { whyNotRunning } from '../core/why.ts';
import { runningCount } from '../core/workers.ts';
import type { ManagerStore } from '../store.ts';
import type { Activity } from './activity.ts';
import { jobDetail, jobSummary, silentWorkerView, workerState, workerView } from './views.ts';

/**
 * The manager's queries for the ops view, the submit pane, `kestrel pool|why` and the chat. None
 * walks a job's tasks: counts come from the scheduler's per-job counters, failures from the store
 * with a LIMIT on an index, and lists are paged. The worker list is sorted once per change of the
 * pool, not per page.
 */

export interface ReadModel {
  jobs(visible: (job: JobTasks) => boolean, page: PageRequest): Page<JobSummary>;
  summaries(jobIds: Iterable<number>): JobSummary[];
  detail(job: JobTasks): Promise<JobDetail>;
  why(job: JobTasks): WhyReport;
  counters(): PoolCounters;
  summary(): PoolSummary;
  workers(page: PageRequest & { search?: string }): Page<WorkerView>;
}

export interface ReadModelOptions {
  scheduler: Scheduler;
  store: ManagerStore;
  activity: Activity;
  now: () => number;
}

function slice<T>(all: readonly T[], page: PageRequest): Page<T> {
  const offset = page.after === undefined ? 0 : Number(page.after);
  const limit = page.limit ?? PAGE_DEFAULT;
  const items = all.slice(offset, offset + limit);
  const end = offset + items.length;
  return { items, total: all.length, offset, ...(end < all.length ? { next: String(end) } : {}) };
}

export function createReadModel(options: ReadModelOptions): ReadModel {
  const { scheduler, store, activity, now } = options;
  let sorted: { version: number; views: WorkerView[] } | undefined;

  function why(job: JobTasks): WhyReport {
    const { reasons, matching } = whyNotRunning(
      job.info.spec,
      job.counts.queued,
      scheduler.workers(),
      activity.silent.size,
    );
    return {
      jobId: job.info.id,
      queued: job.counts.queued,
      running: job.counts.running,
      reasons,
      matching,
    };
  }

  /** The first reason, only for jobs that wait with nothing running (the list's "why" line). */
  function waiting(job: JobTasks): string | undefined {
    if (job.counts.queued === 0 || job.counts.running > 0 || job.finishedAt !== undefined)
      return undefined;
    return why(job).reasons[0];
  }

  function allWorkers(): WorkerView[] {
    if (sorted?.version === activity.poolVersion) return sorted.views;
    const views = new Map<string, WorkerView>();
    for (const w of scheduler.workers()) views.set(w.jid, workerView(w));
    for (const s of activity.silent.values()) {
      const known = views.get(s.jid);
      if (known === undefined || known.state === 'reporting')
        views.set(s.jid, silentWorkerView(s.jid, s.profile));
    }
    const list = [...views.values()].sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0));
    sorted = { version: activity.poolVersion, views: list };
    return list;
  }

  function counters(): PoolCounters {
    const workers = { available: 0, busy: 0, paused: 0, unresponsive: 0, reporting: 0, total: 0 };
    const slots = { total: 0, used: 0 };
    for (const w of scheduler.workers()) {
      if (activity.silent.has(w.jid) && w.profile === undefined) continue;
      workers[workerState(w)] += 1;
      workers.total += 1;
      if (w.profile) {
        slots.total += w.profile.slots;
        slots.used += runningCount(w);
      }
    }
    workers.unresponsive = activity.silent.size;
    workers.total += activity.silent.size;
    const tasks = { queued: 0, running: 0 };
    const jobs = { active: 0, finished: 0 };
    for (const job of scheduler.allJobs()) {
      if (job.finishedAt !== undefined) {
        jobs.finished += 1;
        continue;
      }
      jobs.active += 1;
      const shown = shownCounts(job);
      tasks.queued += shown.queued;
      tasks.running += shown.running;
    }
    return { workers, slots, tasks, jobs };
  }

  return {
    jobs(visible, page) {
      const list: JobTasks[] = [];
      for (const job of scheduler.allJobs()) if (visible(job)) list.push(job);
      list.reverse(); // newest first
      const t = now();
      const part = slice(list, page);
      return { ...part, items: part.items.map((job) => jobSummary(job, t, waiting(job))) };
    },
    summaries(jobIds) {
      const t = now();
      const out: JobSummary[] = [];
      for (const id of jobIds) {
        const job = scheduler.job(id);
        if (job) out.push(jobSummary(job, t, waiting(job)));
      }
      return out;
    },
    async detail(job) {
      const failures = await store.failedTasks(job.info.id, MAX_FAILURES_LISTED);
      return jobDetail(job, now(), failures, why(job));
    },
    why,
    counters,
    summary: () => ({ counters: counters(), throughput: activity.throughput.points(now()) }),
    workers(page) {
      const needle = page.search?.trim().toLowerCase() ?? '';
      const all = allWorkers();
      const list =
        needle === ''
          ? all
          : all.filter(
              (w) =>
                w.jid.toLowerCase().includes(needle) ||
                w.state === needle ||
                w.os?.toLowerCase() === needle ||
                w.provides.some((tag) => tag.toLowerCase() === needle),
            );
      return slice(list, page);
    },
  };
}
