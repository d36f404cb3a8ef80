// Figure 3: how soon the task of a dead or frozen worker runs elsewhere. Each victim is a process
// of its own holding one task; after it is SIGKILLed (or SIGSTOPped) we time, in wall-clock
// milliseconds, until a rescuer worker starts that task: requeue plus dispatch plus delivery.
import type { BenchContext } from '../lib/context.ts';
import { wallClock } from '../lib/executors.ts';
import { distribution } from '../lib/results.ts';
import { createSimPool, forkHost, type SimHost } from '../lib/sim-pool.ts';

const PING_INTERVAL_S = 1;
const WAIT_MS = 30_000;

type Held = { jobId: number; index: number };
const key = (t: Held) => `${t.jobId}:${t.index}`;

async function startVictims(ctx: BenchContext, count: number): Promise<SimHost[]> {
  const accounts = ctx.accountsOf('v', count);
  const hosts: SimHost[] = [];
  // A few at a time: fifty node processes starting at once would take the two cores for long.
  for (let i = 0; i < count; i += 8) {
    const batch = await Promise.all(accounts.slice(i, i + 8).map(() => forkHost()));
    hosts.push(...batch);
  }
  await Promise.all(
    hosts.map(async (host, i) => {
      const reported = host.next('reported');
      host.send({
        cmd: 'connect',
        service: ctx.server.service,
        domain: ctx.server.domain,
        peer: ctx.pool.managerJid,
        mode: 'hold',
        slots: 1,
        // As `kestrel worker` does: one task ahead of its slot, requeued with it when it dies.
        prefetch: 1,
        accounts: [accounts[i] as (typeof accounts)[number]],
        reportTasks: true,
      });
      await reported;
    }),
  );
  return hosts;
}

export async function failure(ctx: BenchContext): Promise<void> {
  const { kills, frozen } = ctx.sizes;
  await ctx.restartManager(['--ping-interval', String(PING_INTERVAL_S)]);
  const victims = await startVictims(ctx, kills + frozen);
  const rescuers = await createSimPool(ctx.server, 1);
  try {
    const held = new Map<SimHost, Held>();
    const allHeld = new Promise<void>((resolve) => {
      for (const host of victims) {
        host.onTask((t) => {
          held.set(host, t);
          if (held.size === victims.length) resolve();
        });
      }
    });
    const user = await ctx.user();
    // Each victim runs one and holds one ahead.
    await user.ask({ type: 'job', command: 'hold', queue: 2 * victims.length });
    await allHeld;

    const rescued = new Map<string, number>();
    const waiting = new Map<string, () => void>();
    rescuers.hosts[0]?.onTask((t) => {
      rescued.set(key(t), t.at);
      waiting.get(key(t))?.();
    });
    await rescuers.connect(ctx.accountsOf('r', 2), {
      mode: 'instant',
      peer: ctx.pool.managerJid,
      reportTasks: true,
    });
    const rescue = (t: Held) =>
      new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), WAIT_MS);
        const done = () => {
          clearTimeout(timer);
          resolve(rescued.get(key(t)));
        };
        if (rescued.has(key(t))) done();
        else waiting.set(key(t), done);
      });

    const killed: number[] = [];
    let lost = 0;
    for (const host of victims.slice(0, kills)) {
      const task = held.get(host) as Held;
      const t0 = wallClock();
      process.kill(host.pid, 'SIGKILL');
      const at = await rescue(task);
      if (at === undefined) lost += 1;
      else killed.push(at - t0);
    }

    // Frozen ones all at once: their times spread over the ping interval.
    const stopped = victims.slice(kills);
    const t0 = wallClock();
    for (const host of stopped) process.kill(host.pid, 'SIGSTOP');
    const frozenTimes = await Promise.all(stopped.map((host) => rescue(held.get(host) as Held)));
    for (const host of stopped) process.kill(host.pid, 'SIGCONT');
    ctx.record('failure', {
      sigkill: {
        victims: kills,
        notRescuedWithin30s: lost,
        killToRunningElsewhereMs: distribution(killed),
      },
      sigstop: {
        victims: stopped.length,
        managerPingIntervalS: PING_INTERVAL_S,
        pingTimeoutMs: 1000,
        stopToRunningElsewhereMs: frozenTimes.map((at) =>
          at === undefined ? null : Math.round(at - t0),
        ),
      },
    });
  } finally {
    await rescuers.close();
    await Promise.allSettled(victims.map((host) => host.stop()));
  }
}
