// ejabberd on one node beside a two-node ejabberd cluster on this machine: tasks/s of a job of
// no-op tasks on W simulated workers (the manager on node 1; in the cluster half of the workers
// log in on node 2, so their tasks and results cross between nodes), the time a one-task job
// takes from submit to job_finished, and raw message round trips (a driver on node 1, echo
// clients on the last node: W at once for the rate, one alone for the latency).
import { startEjabberd } from '../../test/harness/ejabberd.ts';
import { startEjabberdCluster } from '../../test/harness/ejabberd-cluster.ts';
import { createPool } from '../../test/harness/pool.ts';
import type { TestXmppServer } from '../../test/harness/xmpp-server.ts';
import { wallClock } from '../lib/executors.ts';
import type { Sizes } from '../lib/context.ts';
import { distribution, type Results } from '../lib/results.ts';
import { createSimPool, PASSWORD, type SimPool } from '../lib/sim-pool.ts';
import type { SimAccount } from '../lib/sim-protocol.ts';
import { takeover } from './takeover.ts';

const BODY = JSON.stringify({
  type: 'tasks',
  v: 1,
  tasks: [{ job_id: 1, index: 12345, attempt: 1, command: 'true', cores: 1, ram: 0 }],
});

const accounts = (prefix: string, n: number): SimAccount[] =>
  Array.from({ length: n }, (_, i) => ({
    username: `${prefix}-${i}`,
    password: PASSWORD,
    resource: `${prefix}-${i}`,
  }));

async function register(server: TestXmppServer, list: SimAccount[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let a = list[next++]; a !== undefined; a = list[next++])
      await server.createAccount(a.username, a.password);
  };
  await Promise.all(Array.from({ length: 16 }, lane));
}

/** The same server seen through one node's address (for clients that log in there). */
const onNode = (server: TestXmppServer, service: string): TestXmppServer => ({
  ...server,
  service,
});

async function measure(server: TestXmppServer, workers: number, tasks: number, seconds: number) {
  const nodes = server.services ?? [server.service];
  const last = nodes.at(-1) ?? server.service;
  const pool = await createPool(server);
  const sims: SimPool[] = [];
  try {
    const all = accounts('w', workers);
    const echo = accounts('echo', workers);
    const driver = accounts('driver', 1);
    await register(server, [...all, ...echo, ...driver]);
    const managerJid = pool.managerJid;
    // Workers spread over the nodes, in turn.
    for (const [n, service] of nodes.entries()) {
      const share = all.filter((_, i) => i % nodes.length === n);
      const sim = await createSimPool(onNode(server, service), 1);
      sims.push(sim);
      await sim.connect(share, { mode: 'instant', peer: managerJid });
    }
    const user = await pool.user();
    const t0 = wallClock();
    const started = await user.ask({ type: 'job', command: 'true', queue: tasks }, 60_000);
    await user.waitFor((r) => r.type === 'job_finished' && r.job_id === started.job_id, 600_000);
    const jobSeconds = (wallClock() - t0) / 1000;
    const oneTask: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const t = wallClock();
      const job = await user.ask({ type: 'job', command: 'true', queue: 1 });
      await user.waitFor((r) => r.type === 'job_finished' && r.job_id === job.job_id);
      oneTask.push(wallClock() - t);
    }
    await Promise.all(sims.splice(0).map((s) => s.close()));

    const echoes = await createSimPool(onNode(server, last), 1);
    const drivers = await createSimPool(server, 1);
    sims.push(echoes, drivers);
    const driverJid = `${driver[0]?.username}@${server.domain}`;
    await echoes.connect(echo, { mode: 'echo', peer: driverJid });
    await drivers.connect(driver, { mode: 'echo', peer: driverJid });
    const host = drivers.hosts[0];
    if (!host) throw new Error('no driver host');
    const drive = async (targets: SimAccount[], secs: number) => {
      const done = host.next('driven', (secs + 60) * 1000);
      host.send({
        cmd: 'drive',
        targets: targets.map((a) => `${a.username}@${server.domain}/${a.resource}`),
        inFlight: 1,
        seconds: secs,
        body: BODY,
      });
      return done;
    };
    const many = await drive(echo, seconds);
    const single = await drive(echo.slice(0, 1), Math.max(1, seconds / 2));
    return {
      workers,
      tasks,
      seconds: Number(jobSeconds.toFixed(2)),
      tasksPerSecond: Math.round(tasks / jobSeconds),
      oneTaskJobMs: distribution(oneTask),
      roundTripsPerSecond: Math.round(many.roundTrips / many.seconds),
      roundTripMs: Number(((1000 * single.seconds) / single.roundTrips).toFixed(2)),
    };
  } finally {
    await Promise.allSettled(sims.map((s) => s.close()));
    await pool.close();
  }
}

/**
 * ejabberd on one node, then on two; then the manager takeovers on that same cluster (one
 * cluster start fewer).
 */
export async function scaleOut(results: Results, sizes: Sizes): Promise<void> {
  const workers = sizes.workers[0] ?? 100;
  const record = (layout: 'one-node' | 'two-nodes', figures: Record<string, unknown>) =>
    results.record(`ejabberd-${layout}`, {
      server: 'ejabberd',
      layout,
      placement:
        layout === 'one-node'
          ? 'manager, workers and echo clients on the one node'
          : 'manager and driver on node 1; workers on both nodes in turn; echo clients on node 2',
      ...figures,
    });
  console.log('[bench] ejabberd, one node');
  const single = await startEjabberd();
  try {
    record('one-node', await measure(single, workers, sizes.tasks, sizes.ceilingSeconds));
  } finally {
    await single.stop();
  }
  console.log('[bench] ejabberd, two-node cluster');
  const cluster = await startEjabberdCluster();
  try {
    record('two-nodes', await measure(cluster, workers, sizes.tasks, sizes.ceilingSeconds));
    console.log('[bench] manager takeovers');
    await takeover(results, cluster, sizes.takeovers);
  } finally {
    await cluster.stop();
  }
}
