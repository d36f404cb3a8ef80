// One chaos run: a pool on a real XMPP server, one big job, the seeded fault schedule played
// against it while the job runs, then the invariants of docs/PROTOCOL.md ("Delivery and
// reconciliation") checked from the outside. Used by `npm run chaos` and the short vitest run.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { FIXTURES, outputDir } from '../harness/task-output.ts';
import { childrenOf, startCluster, type Cluster } from './cluster.ts';
import { createFaultInjector } from './faults.ts';
import { judge, type Figures } from './invariants.ts';
import { startStoreMonitor } from './monitor.ts';
import { createSchedule, type FaultKind } from './schedule.ts';
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
}

export interface ChaosReport {
  options: ChaosOptions;
  durationS: number;
  /** Seconds from submission to job_finished (undefined if it never came). */
  jobS: number | undefined;
  injected: Record<FaultKind, number>;
  skipped: Record<FaultKind, number>;
  figures: Figures;
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
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ ...options, server });
    log(`${options.server} on ${server.service}; manager ${cluster.pool.managerJid}`);
    await startWorkers(cluster, options.workers);
    log(`${options.workers} workers online and reported`);
    return await play(cluster, options, out, started, log);
  } finally {
    await cluster?.close();
    await server.stop();
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
  const injector = createFaultInjector(cluster, monitor);
  const schedule = createSchedule({
    seed: options.seed,
    workers: options.workers,
    counts: options.counts,
    pingIntervalMs: options.pingIntervalS * 1000,
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
      const late =
        (event.kind === 'manager_kill' || event.kind === 'server_restart') &&
        monitor.done() >= QUIET_TAIL * options.tasks;
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

  const managerAlive =
    pool.manager.child.exitCode === null && pool.manager.child.signalCode === null;
  const finalStatus = await user.ask({ type: 'status', job_id: jobId }).catch(() => undefined);
  memory.managerEnd = rssMb(pool.manager.pid);
  memory.serverEnd = rssMb(server.pid());
  const verdict = judge({
    tasks: options.tasks,
    resultLines: readText(results),
    rows: pool.query('SELECT idx, state, lost FROM tasks WHERE job_id = ?', jobId),
    jobFinished: user.replies.filter(isFinished),
    duplicates: monitor.duplicates(),
    managerLogs: cluster.managers.map((m) => m.output()),
    managerAlive,
    finalStatus,
    memory,
    recoveries: injector.recoveries,
    faultErrors: injector.errors,
  });
  return {
    options,
    durationS: (Date.now() - started) / 1000,
    jobS: finishedAt === undefined ? undefined : (finishedAt - submittedAt) / 1000,
    injected: injector.injected,
    skipped: injector.skipped,
    figures: verdict.figures,
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
