// Figure 6: the transport ceiling. One driver connection (in its own process, like the manager)
// keeps one message in flight to each of W echo clients (like W one-slot workers) through the
// same XMPP server, and counts round trips. A Kestrel task needs one such round trip (`tasks`
// out, `task_results` back) plus part of an `ack`. A worker that takes one task ahead of its
// slot (prefetch) has up to two in flight: the ceiling is measured with two in flight as well.
import type { BenchContext } from '../lib/context.ts';
import { meterCpu } from '../lib/proc.ts';
import { createSimPool } from '../lib/sim-pool.ts';

const PER_HOST = 2500;
/** About the size of a one-task `tasks` message. */
const BODY = JSON.stringify({
  type: 'tasks',
  v: 1,
  tasks: [{ job_id: 1, index: 12345, attempt: 1, command: 'true', cores: 1, ram: 0 }],
});

export async function ceiling(ctx: BenchContext): Promise<void> {
  for (const w of ctx.sizes.workers) for (const inFlight of [1, 2]) await measure(ctx, w, inFlight);
}

async function measure(ctx: BenchContext, w: number, inFlight: number): Promise<void> {
  const driverAccount = ctx.accountsOf('driver', 1);
  const driverJid = `${driverAccount[0]?.username}@${ctx.server.domain}`;
  const echo = await createSimPool(ctx.server, Math.ceil(w / PER_HOST));
  const driver = await createSimPool(ctx.server, 1);
  try {
    const accounts = ctx.accountsOf('echo', w);
    await echo.connect(accounts, { mode: 'echo', peer: driverJid });
    await driver.connect(driverAccount, { mode: 'echo', peer: driverJid });
    const host = driver.hosts[0];
    if (!host) throw new Error('no driver host');
    const pids: Record<string, number> = { server: ctx.server.pid, driver: host.pid };
    echo.hosts.forEach((h, i) => (pids[`echo${i}`] = h.pid));
    const meter = meterCpu(pids);
    const driven = host.next('driven', (ctx.sizes.ceilingSeconds + 60) * 1000);
    host.send({
      cmd: 'drive',
      targets: accounts.map((a) => `${a.username}@${ctx.server.domain}/${a.resource}`),
      inFlight,
      seconds: ctx.sizes.ceilingSeconds,
      body: BODY,
    });
    const { roundTrips, seconds } = await driven;
    ctx.record(inFlight === 1 ? `ceiling-w${w}` : `ceiling${inFlight}-w${w}`, {
      clients: w,
      inFlightPerClient: inFlight,
      seconds: Number(seconds.toFixed(2)),
      roundTripsPerSecond: Math.round(roundTrips / seconds),
      stanzasPerSecond: Math.round((2 * roundTrips) / seconds),
      cpuShareOfOneCore: meter.shares(),
    });
  } finally {
    await echo.close();
    await driver.close();
  }
}
