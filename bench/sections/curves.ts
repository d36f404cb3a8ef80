// How cost grows with the work: tasks/s against the number of simulated workers and against the
// size of the job, and the manager's resident memory against the tasks it holds queued. Each
// point is recorded like any figure (with the load when it was taken); the charts are drawn
// from them at the end of the run (bench/lib/chart.ts).
import type { BenchContext } from '../lib/context.ts';
import { rssBytes } from '../lib/proc.ts';
import { mb } from '../lib/results.ts';
import { createSimPool } from '../lib/sim-pool.ts';
import { runJob } from './throughput.ts';

const PER_HOST = 2500;
/** Workers of the job-size curve. */
const JOB_CURVE_WORKERS = 100;
const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

export async function curves(ctx: BenchContext): Promise<void> {
  // The manager's curves: on the embedded server only (Prosody's own limit shows in the ceiling).
  if (ctx.server.kind !== 'embedded') return;
  const { curveWorkers, curveTasks, curveJobs, curveQueued } = ctx.sizes;
  for (const w of curveWorkers) {
    await ctx.restartManager();
    const sims = await createSimPool(ctx.server, Math.ceil(w / PER_HOST));
    try {
      await sims.connect(ctx.accountsOf('w', w), { mode: 'instant', peer: ctx.pool.managerJid });
      ctx.record(`curve-workers-${w}`, { workers: w, ...(await runJob(ctx, sims, curveTasks)) });
    } finally {
      await sims.close();
    }
  }

  const w = Math.min(JOB_CURVE_WORKERS, Math.max(...curveWorkers));
  await ctx.restartManager();
  const sims = await createSimPool(ctx.server, 1);
  try {
    await sims.connect(ctx.accountsOf('w', w), { mode: 'instant', peer: ctx.pool.managerJid });
    for (const tasks of curveJobs)
      ctx.record(`curve-job-${tasks}`, { workers: w, ...(await runJob(ctx, sims, tasks)) });
  } finally {
    await sims.close();
  }

  // No workers: every task stays queued. The per-user limit is raised for the largest points.
  await ctx.restartManager(['--max-queued-per-user', String(Math.max(...curveQueued))]);
  const user = await ctx.user();
  await settle();
  const pid = ctx.pool.manager.pid;
  ctx.record('curve-queued-0', { queued: 0, managerRssMb: mb(rssBytes(pid)) });
  let queued = 0;
  const jobs: unknown[] = [];
  for (const target of [...curveQueued].sort((a, b) => a - b)) {
    const reply = await user.ask({ type: 'job', command: 'true', queue: target - queued }, 60_000);
    if (reply.type !== 'job_started') throw new Error(`job refused: ${JSON.stringify(reply)}`);
    jobs.push(reply.job_id);
    queued = target;
    await settle();
    ctx.record(`curve-queued-${target}`, { queued, managerRssMb: mb(rssBytes(pid)) });
  }
  for (const jobId of jobs) await user.ask({ type: 'cancel', job_id: jobId }, 60_000);
}
