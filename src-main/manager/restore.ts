import type { Scheduler } from './core/scheduler.ts';
import type { ManagerStore } from './store.ts';

/** Rebuild the scheduler from the store after a start or a crash. */
export function restoreScheduler(scheduler: Scheduler, store: ManagerStore): void {
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
}
