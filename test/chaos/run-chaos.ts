// One chaos run: a pool on a real XMPP server, one big job, the seeded fault schedule played
// against it while the job runs, then the invariants of docs/PROTOCOL.md ("Delivery and
// reconciliation") checked from the outside. Used by `npm run chaos` and the short vitest run.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { startPostgres, type TestPostgres } from '../harness/postgres.ts';
import { FIXTURES, outputDir } from '../harness/task-output.ts';
import { childrenOf, startCluster, type Cluster } from './cluster.ts';
import { createFaultInjector } from './faults.ts';
import {
  judge,
  judgeEpochs,
  type AssignmentRow,
  type EpochFigures,
  type EpochRow,
  type Figures,
} from './invariants.ts';
import { startStoreMonitor } from './monitor.ts';
import { createSchedule, RESTART_KINDS, type FaultKind } from './schedule.ts';
import { rssMb, startChaosServer, type ServerKind } from './servers.ts';

export interface ChaosOptions {
  seed: number;
  server: ServerKind;
  tasks: number;
  workers: number;
  slotsPerWorker: number;
  /** The manager's --ping-interval, in seconds. */
  pingIntervalS: number;
  /** Each task sleeps a per-index pseudo-random time in this range. */
  taskMs: readonly [number, number];
  counts: Readonly<Record<FaultKind, number>>;
  /** How long the job may take, faults included. */
  jobTimeoutMs: number;
  /** Progress lines while the run goes on. */
  log?: (line: string) => void;
  /**
   * The scale-out mode: a PostgreSQL store shared by this many managers, on an ejabberd cluster
   * (`server` must be 'ejabberd-cluster').
   */
  scaleOut?: { managers: number; takeoverAfterS: number };
}

export interface ChaosReport {
  options: ChaosOptions;
  durationS: number;
  /** Seconds from submission to job_finished (undefined if it never came). */
  jobS: number | undefined;
  injected: Record<FaultKind, number>;
  skipped: Record<FaultKind, number>;
  figures: Figures;
  /** Scale-out: takeovers and dispatches per epoch. */
  epochs?: EpochFigures;
  memory: {
    managerBaseline?: number;
    managerEnd?: number;
    serverBaseline?: number;
    serverEnd?: number;
  };
  violations: string[];
  journal: string[];
}

const CHAOS_TASK = join(FIXTURES, 'chaos-task.sh');
const QUIET_MS = 3000;
/** No restart of the manager or the server once this fraction of the job is done. */
const QUIET_TAIL = 0.8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  // Under the output root that sandboxed test workers expose (task-output.ts).
  const out = outputDir();
  const server = await startChaosServer(options.server);
  let postgres: TestPostgres | undefined;
  let cluster: Cluster | undefined;
  try {
    let shared;
    if (options.scaleOut) {
      postgres = await startPostgres();
      shared = { ...options.scaleOut, store: await postgres.createDatabase() };
    }
    cluster = await startCluster({ ...options, server, shared });
    log(
      `${options.server} on ${(server.services ?? [server.service]).join(', ')}; manager ${cluster.pool.managerJid}` +
        (shared ? `, ${shared.managers} managers on PostgreSQL` : ''),
    );
    await startWorkers(cluster, options.workers);
    log(`${options.workers} workers online and reported`);
    return await play(cluster, options, out, started, log, postgres);
  } finally {
    await cluster?.close();
    await server.stop();
    await postgres?.stop();
    rmSync(out, { recursive: true, force: true });
  }
}

/** A few at a time: twenty Node processes starting at once starve a small machine. */
async function startWorkers(cluster: Cluster, n: number): Promise<void> {
  for (let first = 0; first < n; first += 4) {
    const slots = [...Array(Math.min(4, n - first)).keys()].map((k) => first + k);
    await Promise.all(
      slots.map(async (slot) => {
        const worker = await cluster.startWorker(slot);
        await worker.process.waitForOutput('manager is online; reporting', 30_000);
      }),
    );
  }
}

async function play(
  cluster: Cluster,
  options: ChaosOptions,
  out: string,
  started: number,
  log: (line: string) => void,
  postgres: TestPostgres | undefined,
): Promise<ChaosReport> {
  const { pool, server } = cluster;
  const user = await pool.user('submitter');
  const memory: ChaosReport['memory'] = {
    managerBaseline: rssMb(pool.manager.pid),
    serverBaseline: rssMb(server.pid()),
  };
  const results = join(out, 'results');
  const [min, max] = options.taskMs;
  const reply = await user.ask({
    type: 'job',
    command: `sh ${CHAOS_TASK} ${results} ${min} ${max}`,
    queue: options.tasks,
  });
  if (reply.type !== 'job_started') throw new Error(`job refused: ${JSON.stringify(reply)}`);
  const jobId = reply.job_id as number;
  const submittedAt = Date.now();
  const isFinished = (r: Record<string, unknown>) =>
    r.type === 'job_finished' && r.job_id === jobId;
  let finishedAt: number | undefined;
  const finished = user.waitFor(isFinished, options.jobTimeoutMs).then(
    () => void (finishedAt = Date.now()),
    () => undefined,
  );

  const monitor = startStoreMonitor(pool.store, jobId);
  const injector = createFaultInjector(cluster, monitor, postgres);
  const schedule = createSchedule({
    seed: options.seed,
    workers: options.workers,
    counts: options.counts,
    pingIntervalMs: options.pingIntervalS * 1000,
    takeoverAfterMs: (options.scaleOut?.takeoverAfterS ?? 3) * 1000,
  });
  log(`job ${jobId}: ${options.tasks} tasks; ${schedule.length} faults scheduled`);
  const progress = setInterval(() => log(`  ${monitor.done()}/${options.tasks} done`), 10_000);
  try {
    const deadline = submittedAt + options.jobTimeoutMs;
    const over = () => finishedAt !== undefined || Date.now() > deadline;
    for (const event of schedule) {
      await monitor.until(Math.ceil(event.at * options.tasks), over);
      // Restarts run one after another; if they fell behind, the late ones are dropped so the
      // job still ends quietly (a job_finished sent while the submitter is offline is lost).
      const late = RESTART_KINDS.has(event.kind) && monitor.done() >= QUIET_TAIL * options.tasks;
      if (over() || late) injector.skipped[event.kind] += 1;
      else await injector.inject(event);
    }
    await finished;
    await injector.settle();
  } finally {
    clearInterval(progress);
  }
  for (const line of injector.journal) log(line);
  // Late results of thawed workers, and any second job_finished, would show up now.
  await sleep(QUIET_MS);
  await waitForIdleWorkers(cluster, 15_000);
  await monitor.stop();

  const active = await cluster.activeManager().catch(() => undefined);
  const managerAlive =
    active !== undefined && active.child.exitCode === null && active.child.signalCode === null;
  const finalStatus = await user.ask({ type: 'status', job_id: jobId }).catch(() => undefined);
  memory.managerEnd = rssMb(active?.pid);
  memory.serverEnd = rssMb(server.pid());
  const rows = await pool.store.query<{ idx: number; state: string; lost: number }>(
    'SELECT idx, state, lost FROM tasks WHERE job_id = ?',
    jobId,
  );
  const epochs = options.scaleOut ? await epochVerdict(cluster) : undefined;
  const verdict = judge({
    tasks: options.tasks,
    resultLines: readText(results),
    rows: rows.map((r) => ({ idx: Number(r.idx), state: r.state, lost: Number(r.lost) })),
    jobFinished: user.replies.filter(isFinished),
    duplicates: monitor.duplicates(),
    managerLogs: cluster.managers.map((m) => m.output()),
    managerAlive,
    finalStatus,
    memory,
    recoveries: injector.recoveries,
    faultErrors: [...injector.errors, ...cluster.managerFailures],
  });
  if (epochs) verdict.violations.push(...epochs.violations);
  return {
    options,
    durationS: (Date.now() - started) / 1000,
    jobS: finishedAt === undefined ? undefined : (finishedAt - submittedAt) / 1000,
    injected: injector.injected,
    skipped: injector.skipped,
    figures: verdict.figures,
    epochs: epochs?.figures,
    memory,
    violations: verdict.violations,
    journal: injector.journal,
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Until no worker runs a task any more (copies started before a fault may still be finishing). */
async function waitForIdleWorkers(cluster: Cluster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const busy = () => cluster.workers.some((w) => w && childrenOf(w.process.pid).length > 0);
  while (busy() && Date.now() < deadline) await sleep(200);
}

/** The assignments and takeovers the shared store logged, judged (judgeEpochs). */
async function epochVerdict(cluster: Cluster) {
  const { store } = cluster.pool;
  const assignments = await store.query<Record<keyof AssignmentRow, string | number>>(
    `SELECT idx, attempt, epoch, (extract(epoch from at) * 1000000)::bigint AS "atUs"
     FROM assignments`,
  );
  const epochs = await store.query<Record<keyof EpochRow, string | number>>(
    'SELECT epoch, (extract(epoch from began_at) * 1000000)::bigint AS "beganUs" FROM epochs',
  );
  return judgeEpochs(
    assignments.map((a) => ({
      idx: Number(a.idx),
      attempt: Number(a.attempt),
      epoch: Number(a.epoch),
      atUs: Number(a.atUs),
    })),
    epochs.map((e) => ({ epoch: Number(e.epoch), beganUs: Number(e.beganUs) })),
  );
}
