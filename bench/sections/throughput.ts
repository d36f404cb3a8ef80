// Figures 1 and 4: end-to-end tasks/s for one job of no-op tasks on W simulated workers (real
// worker services and XMPP connections, tasks completed at once) and the latencies around a job.
// Real processes: bench/sections/real.ts.
import type { BenchContext } from '../lib/context.ts';
import { wallClock } from '../lib/executors.ts';
import { meterCpu, rssBytes } from '../lib/proc.ts';
import { distribution, mb } from '../lib/results.ts';
import { createSimPool, type SimPool } from '../lib/sim-pool.ts';

/** Simulated workers per host process: more would make the hosts the bottleneck. */
export const PER_HOST = 2500;

export async function runJob(ctx: BenchContext, sims: SimPool | undefined, tasks: number) {
  const user = await ctx.user();
  const pids: Record<string, number> = { server: ctx.server.pid, manager: ctx.pool.manager.pid };
  sims?.hosts.forEach((h, i) => (pids[`workers${i}`] = h.pid));
  const meter = meterCpu(pids);
  sims?.reset();
  const t0 = wallClock();
  const started = await user.ask({ type: 'job', command: 'true', queue: tasks }, 60_000);
  const tStarted = wallClock();
  if (started.type !== 'job_started') throw new Error(`job refused: ${JSON.stringify(started)}`);
  const finished = await user.waitFor(
    (r) => r.type === 'job_finished' && r.job_id === started.job_id,
    30 * 60_000,
  );
  const tFinished = wallClock();
  const stats = await sims?.stats();
  const seconds = (tFinished - t0) / 1000;
  return {
    tasks,
    done: finished.done,
    seconds: Number(seconds.toFixed(2)),
    tasksPerSecond: Math.round(tasks / seconds),
    submitToStartedMs: Number((tStarted - t0).toFixed(1)),
    lastDoneToFinishedMs:
      stats?.lastTaskAt === undefined
        ? undefined
        : Number((tFinished - stats.lastTaskAt).toFixed(1)),
    cpuShareOfOneCore: meter.shares(),
    managerRssMb: mb(rssBytes(ctx.pool.manager.pid)),
  };
}

/** Figure 4 on an idle pool: one-task jobs, one after another. */
export async function latency(ctx: BenchContext, sims: SimPool, rounds: number) {
  const user = await ctx.user();
  const toStarted: number[] = [];
  const toFinished: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    sims.reset();
    const t0 = wallClock();
    const started = await user.ask({ type: 'job', command: 'true', queue: 1 });
    toStarted.push(wallClock() - t0);
    await user.waitFor((r) => r.type === 'job_finished' && r.job_id === started.job_id);
    const tFinished = wallClock();
    const done = (await sims.stats()).lastTaskAt;
    if (done !== undefined) toFinished.push(tFinished - done);
  }
  return {
    submitToJobStartedMs: distribution(toStarted),
    lastTaskDoneToJobFinishedMs: distribution(toFinished),
  };
}

export async function throughput(ctx: BenchContext): Promise<void> {
  const { workers, tasks } = ctx.sizes;
  for (const [i, w] of workers.entries()) {
    await ctx.restartManager();
    const sims = await createSimPool(ctx.server, Math.ceil(w / PER_HOST));
    try {
      const login = await sims.connect(ctx.accountsOf('w', w), {
        mode: 'instant',
        peer: ctx.pool.managerJid,
      });
      const figures = await runJob(ctx, sims, tasks);
      ctx.record(`throughput-w${w}`, {
        workers: w,
        slots: 1,
        prefetch: 1,
        loginMs: Math.round(login.reportedMs),
        ...figures,
      });
      if (i === 0) ctx.record('latency', { workers: w, ...(await latency(ctx, sims, 20)) });
    } finally {
      await sims.close();
    }
  }
}
