// Figures 2 and 5 (per worker): N workers log in at once; the manager must track every one of
// them, which we check by behaviour: a job of N tasks, each held by its worker, must reach all
// N (one slot each, none taken ahead). Then a tenth log out: their tasks must go back to the queue (the manager saw
// their unavailable presence), and come back out when they log in again.
import type { BenchContext } from '../lib/context.ts';
import { rssBytes } from '../lib/proc.ts';
import { mb } from '../lib/results.ts';
import { createSimPool } from '../lib/sim-pool.ts';
import type { UserClient } from '../../test/harness/pool.ts';

const PER_HOST = 2500;
const POLL_MS = 100;

async function until(what: () => string, timeoutMs: number, check: () => Promise<boolean>) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

let last: unknown;

async function counts(user: UserClient, jobId: unknown) {
  const reply = await user.ask({ type: 'status', job_id: jobId });
  const job = (reply.jobs as { running: number; queued: number }[] | undefined)?.[0];
  if (!job) throw new Error(`no status: ${JSON.stringify(reply)}`);
  last = { running: job.running, queued: job.queued };
  return job;
}

export async function scale(ctx: BenchContext): Promise<void> {
  for (const n of ctx.sizes.scale) {
    await ctx.restartManager();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rssBefore = rssBytes(ctx.pool.manager.pid);
    const user = await ctx.user();
    // Submitted first, so that every worker gets its task as soon as the manager knows it.
    const job = await user.ask({ type: 'job', command: 'hold', queue: n });
    const sims = await createSimPool(ctx.server, Math.ceil(n / PER_HOST));
    try {
      const t0 = performance.now();
      const login = await sims.connect(ctx.accountsOf('w', n), {
        mode: 'hold',
        peer: ctx.pool.managerJid,
        // None ahead: the N tasks of the job go to the N workers, one each.
        prefetch: 0,
      });
      await until(
        () => `${n} workers to hold a task`,
        600_000,
        async () => {
          return (await sims.stats()).tasks >= n;
        },
      );
      const allBusyMs = performance.now() - t0;
      const rssAfter = rssBytes(ctx.pool.manager.pid);
      const hosts = await sims.stats();

      const k = Math.max(1, Math.floor(n / 10));
      const t1 = performance.now();
      const dropped = await sims.drop(k);
      const requeued = () =>
        `the ${dropped.length} logged-out workers’ tasks to be requeued (last seen ${JSON.stringify(last)})`;
      await until(requeued, 60_000, async () => {
        return (await counts(user, job.job_id)).queued === dropped.length;
      });
      const requeueMs = performance.now() - t1;
      const t2 = performance.now();
      await sims.connect(dropped, { mode: 'hold', peer: ctx.pool.managerJid, prefetch: 0 });
      const back = () =>
        `the returning workers to take the tasks back (last seen ${JSON.stringify(last)})`;
      await until(back, 60_000, async () => {
        const c = await counts(user, job.job_id);
        return c.queued === 0 && c.running === n;
      });
      const rejoinMs = performance.now() - t2;
      ctx.record(`scale-n${n}`, {
        workers: n,
        loginStorm: {
          allLoggedInMs: Math.round(login.connectedMs),
          allReportedMs: Math.round(login.reportedMs),
          allHoldingATaskMs: Math.round(allBusyMs),
          loginRetries: login.retries,
        },
        presence: {
          loggedOut: dropped.length,
          allTheirTasksRequeuedMs: Math.round(requeueMs),
          loggedBackIn: dropped.length,
          allBusyAgainMs: Math.round(rejoinMs),
        },
        managerRssMb: { before: mb(rssBefore), after: mb(rssAfter) },
        managerKbPerWorker: Number(((rssAfter - rssBefore) / 1024 / n).toFixed(1)),
        workerHostsRssMb: mb(hosts.rssBytes),
      });
    } finally {
      // Also after a failure: the next section's manager would restore the job and hand it out.
      await user.ask({ type: 'cancel', job_id: job.job_id }).catch(() => undefined);
      await sims.close();
    }
  }
}
