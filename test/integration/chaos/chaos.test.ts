// The short chaos run (`npm run chaos` is the long one): 300 tasks on 6 workers while every kind
// of fault hits the pool at least once: machine deaths, a frozen worker, a manager killed with
// SIGKILL, an XMPP server restart, a frozen and a cut network. Nothing may be lost or recorded
// twice, and the submitter hears job_finished exactly once. It runs on Prosody and on the embedded
// server, whatever project runs it: KESTREL_CHAOS_SERVER (a comma list) picks, and
// KESTREL_CHAOS_SEED replays a seed.
import { describe, expect, it } from 'vitest';

import { formatReport } from '../../chaos/report.ts';
import { runChaos } from '../../chaos/run-chaos.ts';
import { FAULT_KINDS } from '../../chaos/schedule.ts';
import { parseServerKind } from '../../chaos/servers.ts';

const servers = (process.env.KESTREL_CHAOS_SERVER ?? 'prosody,embedded')
  .split(',')
  .map(parseServerKind);
const seed = Number(process.env.KESTREL_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe.each(servers)('chaos (%s)', (server) => {
  it(`loses nothing and records nothing twice under every kind of fault (seed ${seed})`, async () => {
    const report = await runChaos({
      seed,
      server,
      tasks: 300,
      workers: 6,
      slotsPerWorker: 2,
      pingIntervalS: 1,
      // Longer tasks than the full run's, so 300 of them outlast one fault of each kind.
      taskMs: [50, 500],
      counts: {
        worker_kill: 1,
        worker_stop: 1,
        manager_kill: 1,
        server_restart: 1,
        net_freeze: 1,
        net_cut: 1,
        manager_stop: 0,
        node_kill: 0,
        postgres_restart: 0,
      },
      jobTimeoutMs: 70_000,
    });
    console.log(formatReport(report));
    expect(report.violations).toEqual([]);
    for (const kind of FAULT_KINDS)
      expect(report.injected[kind], kind).toBe(report.options.counts[kind]);
    expect(report.figures.lost).toBe(0);
    expect(report.figures.duplicates).toBe(0);
    expect(report.figures.jobFinishedDelivered).toBe(1);
  }, 110_000);
});
