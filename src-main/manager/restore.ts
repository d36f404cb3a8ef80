import type { Scheduler } from './core/scheduler.ts';
import type { ManagerStore, StoredJob } from './store.ts';

/**
 * Rebuild the scheduler from the store after a start or a crash. Returns the finished jobs whose
 * `job_finished` may not have reached their submitter yet.
 */
export function restoreScheduler(scheduler: Scheduler, store: ManagerStore): StoredJob[] {
  const jobs = store.jobs();
  for (const job of jobs) {
    if (job.finishedAt !== undefined && job.counts) {
      scheduler.restoreJob(job.info, {
        counts: job.counts,
        cancelledAt: job.cancelledAt,
        finishedAt: job.finishedAt,
      });
    } else {
      scheduler.restoreJob(job.info);
    }
  }
  for (const t of store.openTasks()) {
    scheduler.restoreTask(
      { jobId: t.jobId, index: t.index, attempt: t.attempt },
      t.state,
      t.failures,
      t.lost,
      t.worker,
    );
  }
  return jobs.filter((job) => job.finishedAt !== undefined && !job.notified);
}
