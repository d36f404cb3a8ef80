// Figure 5 (per queued task): a job of a million tasks on a manager with no workers: how long
// until `job_started`, what the manager's memory grows by, and how long status and cancel take.
import type { BenchContext } from '../lib/context.ts';
import { wallClock } from '../lib/executors.ts';
import { rssBytes } from '../lib/proc.ts';
import { mb } from '../lib/results.ts';

const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

export async function memory(ctx: BenchContext): Promise<void> {
  const tasks = ctx.sizes.bigJob;
  await ctx.restartManager();
  const user = await ctx.user();
  await settle();
  const pid = ctx.pool.manager.pid;
  const before = rssBytes(pid);
  const t0 = wallClock();
  const job = await user.ask({ type: 'job', command: 'true', queue: tasks }, 60_000);
  const acceptMs = wallClock() - t0;
  await settle();
  const after = rssBytes(pid);
  const t1 = wallClock();
  const status = await user.ask({ type: 'status', job_id: job.job_id }, 60_000);
  const statusMs = wallClock() - t1;
  const t2 = wallClock();
  const cancelled = await user.ask({ type: 'cancel', job_id: job.job_id }, 60_000);
  const cancelMs = wallClock() - t2;
  if (job.type !== 'job_started' || status.type !== 'status' || cancelled.type !== 'cancelled') {
    throw new Error(`unexpected replies: ${JSON.stringify([job, status, cancelled])}`);
  }
  ctx.record('memory', {
    tasks,
    submitToJobStartedMs: Number(acceptMs.toFixed(1)),
    managerRssMb: { before: mb(before), after: mb(after) },
    managerBytesPerQueuedTask: Number(((after - before) / tasks).toFixed(2)),
    statusReplyMs: Number(statusMs.toFixed(1)),
    cancelReplyMs: Number(cancelMs.toFixed(1)),
  });
}
