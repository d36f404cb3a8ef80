import type { Scheduler } from './core/scheduler.ts';
import type { ManagerStore, StoredJob, StoredTask } from './store.ts';

/**
 * Rebuild the scheduler from the store after a start, a crash or a takeover. Read first, then
 * applied in one synchronous pass, so no event can reach a half-restored scheduler.
 */

export interface StoreSnapshot {
  jobs: StoredJob[];
  openTasks: StoredTask[];
}

export async function readSnapshot(store: ManagerStore): Promise<StoreSnapshot> {
  const [jobs, openTasks] = await Promise.all([store.jobs(), store.openTasks()]);
  return { jobs, openTasks };
}

export function restoreScheduler(scheduler: Scheduler, snapshot: StoreSnapshot): void {
  for (const job of snapshot.jobs) {
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
  for (const t of snapshot.openTasks) {
    scheduler.restoreTask(
      { jobId: t.jobId, index: t.index, attempt: t.attempt },
      t.state,
      t.failures,
      t.lost,
      t.worker,
    );
  }
}
