// `npm run chaos`: the full chaos run (5,000 tasks on 20 workers) against Prosody and the embedded
// server in turn, or the kinds named (--server, or KESTREL_TEST_SERVER; `all` adds ejabberd).
// Prints the seed first; `--seed N` replays the same fault schedule. Exits 1 if any invariant
// fails.
//   node test/chaos/run.ts [--seed N] [--server prosody,embedded,ejabberd|both|all] [--tasks 5000]
//                          [--workers 20] [--slots 2] [--ping-interval 2] [--intensity 1]
//                          [--mode scale-out [--managers 2|3] [--takeover-after 3]]
// --intensity multiplies the number of faults of each kind (at least one of each).
// --mode scale-out: the managers share a PostgreSQL store (one active, the others standbys) on a
// two-node ejabberd cluster, and the faults add SIGKILL and SIGSTOP of the active manager, SIGKILL
// of an ejabberd node and PostgreSQL restarts; besides the usual invariants, no two managers may
// ever have dispatched at once (the epochs stored with every dispatch).
import { parseArgs } from 'node:util';

import { formatReport } from './report.ts';
import { runChaos, type ChaosReport } from './run-chaos.ts';
import type { FaultKind } from './schedule.ts';
import { parseServerKind, SERVER_KINDS, type ServerKind } from './servers.ts';

/** Faults of each kind in a full run (manager restarts: at least 3, as the brief asks). */
const FULL_COUNTS: Record<FaultKind, number> = {
  worker_kill: 12,
  worker_stop: 6,
  manager_kill: 4,
  server_restart: 3,
  net_freeze: 5,
  net_cut: 5,
  manager_stop: 0,
  node_kill: 0,
  postgres_restart: 0,
};

/** The scale-out mode: the cluster's nodes die one at a time instead of the server restarting. */
const SCALE_OUT_COUNTS: Record<FaultKind, number> = {
  ...FULL_COUNTS,
  manager_kill: 3,
  server_restart: 0,
  manager_stop: 3,
  node_kill: 3,
  postgres_restart: 2,
};

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    server: { type: 'string', default: process.env.KESTREL_TEST_SERVER ?? 'both' },
    tasks: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '20' },
    slots: { type: 'string', default: '2' },
    'ping-interval': { type: 'string', default: '2' },
    intensity: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'single' },
    managers: { type: 'string', default: '2' },
    'takeover-after': { type: 'string', default: '3' },
  },
});

function whole(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number ≥ ${min} (got ${text})\n`);
    process.exit(2);
  }
  return n;
}

const seed =
  values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : whole('seed', values.seed, 0);
if (values.mode !== 'single' && values.mode !== 'scale-out') {
  process.stderr.write(`--mode must be single or scale-out (got ${values.mode})\n`);
  process.exit(2);
}
const scaleOut = values.mode === 'scale-out';
const named: Record<string, string> = {
  both: 'prosody,embedded',
  all: SERVER_KINDS.filter((k) => k !== 'ejabberd-cluster').join(','),
};
const kinds: ServerKind[] = scaleOut
  ? ['ejabberd-cluster']
  : (named[values.server] ?? values.server).split(',').map(parseServerKind);
const managers = whole('managers', values.managers, 2);
const tasks = whole('tasks', values.tasks, 1);
const workers = whole('workers', values.workers, 2);
const intensity = Number(values.intensity);
if (!(intensity > 0)) {
  process.stderr.write(`--intensity must be a positive number (got ${values.intensity})\n`);
  process.exit(2);
}
const counts = Object.fromEntries(
  Object.entries(scaleOut ? SCALE_OUT_COUNTS : FULL_COUNTS).map(([kind, n]) => [
    kind,
    n === 0 ? 0 : Math.max(1, Math.round(n * intensity)),
  ]),
) as Record<FaultKind, number>;
const log = (line: string) => process.stdout.write(`${line}\n`);
process.stdout.write(`chaos seed ${seed} (replay with --seed ${seed})\n`);

const reports: ChaosReport[] = [];
for (const server of kinds) {
  const report = await runChaos({
    seed,
    server,
    tasks,
    workers,
    slotsPerWorker: whole('slots', values.slots, 1),
    pingIntervalS: whole('ping-interval', values['ping-interval'], 1),
    taskMs: [5, 200],
    counts,
    jobTimeoutMs: 8 * 60_000,
    log,
    scaleOut: scaleOut
      ? { managers, takeoverAfterS: whole('takeover-after', values['takeover-after'], 1) }
      : undefined,
  });
  reports.push(report);
  log(formatReport(report));
}
process.exit(reports.every((r) => r.violations.length === 0) ? 0 : 1);
