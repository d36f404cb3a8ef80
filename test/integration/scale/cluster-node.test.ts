// A node of a two-node ejabberd cluster dies (SIGKILL) under a running job. ejabberd sends no
// `unavailable` for the sessions that were on it, so the manager (on the other node) must notice
// their workers by its pings, and requeue their tasks; a worker given both nodes' addresses logs
// in again through the surviving node and goes on. Nothing is lost or recorded twice.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStoreMonitor, type StoreMonitor } from '../../chaos/monitor.ts';
import { startEjabberdCluster, type TestEjabberdCluster } from '../../harness/ejabberd-cluster.ts';
import { createPool, type Pool } from '../../harness/pool.ts';
import { linesOf, outputDir, RECORD, runningPids, until } from '../../harness/task-output.ts';

let cluster: TestEjabberdCluster;
let pool: Pool | undefined;
let monitor: StoreMonitor | undefined;
let out: string | undefined;

beforeAll(async () => {
  cluster = await startEjabberdCluster();
});
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  await monitor?.stop();
  await pool?.close();
  pool = undefined;
  if (out) rmSync(out, { recursive: true, force: true });
});

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('ejabberd cluster', () => {
  it('notices by ping the workers of a node that died, requeues their tasks, and a worker with both addresses carries on', async () => {
    const [node1, node2] = cluster.services as [string, string];
    pool = await createPool(cluster, ['--ping-interval', '1']);
    out = outputDir();
    const pinned = await pool.startWorker('pinned', { slots: 1, server: node2 });
    const roaming = await pool.startWorker('roaming', { slots: 1, server: `${node2},${node1}` });
    const alice = await pool.user();
    const job = await alice.ask({ type: 'job', command: `sh ${RECORD} ${out} 3`, queue: 2 });
    const jobId = job.job_id as number;
    monitor = startStoreMonitor(pool.store, jobId, 100);
    await until(() => runningPids(out!).length === 2, 'both tasks to run on node 2');
    await pool.startWorker('home', { slots: 1, server: node1 });

    await cluster.killNode(1);
    const pinnedJid = pool.workerJids.get('pinned')!;
    await pool.manager.waitForOutput(
      `did not answer ping; requeueing its tasks {"worker":"${pinnedJid}"}`,
      20_000,
    );
    // Logged in again through node 1, it reports to the manager as after any reconnect.
    await roaming.waitForOutput('xmpp connection back', 20_000);
    await until(
      () => count(roaming.output(), 'manager is online; reporting') >= 2,
      'the roaming worker to report again',
    );
    const finished = await alice.waitFor(
      (r) => r.type === 'job_finished' && r.job_id === jobId,
      60_000,
    );
    expect(finished).toMatchObject({ done: 2, failed: 0, cancelled: 0 });
    const rows = await pool.store.query<{ idx: number; state: string; worker: string }>(
      'SELECT idx, state, worker FROM tasks WHERE job_id = ? ORDER BY idx',
      jobId,
    );
    expect(rows.map((r) => r.state)).toEqual(['done', 'done']);
    // The pinned worker's task ran again elsewhere. (The roaming one's may have too: a ping sent
    // to its old session just before it logged in again is lost with the node.)
    expect(rows.filter((r) => r.worker === pinnedJid)).toEqual([]);
    for (const i of [0, 1]) expect(linesOf(out, i).length).toBeGreaterThanOrEqual(1);

    // The node comes back and rejoins; the pinned worker with it, and it reports again.
    await cluster.startNode(1);
    await until(
      () => count(pinned.output(), 'manager is online; reporting') >= 2,
      'the pinned worker to report again',
      30_000,
    );
    // Its late result for a task that ended elsewhere is acknowledged, not recorded.
    await until(() => linesOf(out!, 0).length + linesOf(out!, 1).length >= 3, 'its copy to end');
    await monitor.stop();
    expect(monitor.duplicates()).toEqual([]);
    expect(alice.replies.filter((r) => r.type === 'job_finished')).toHaveLength(1);
  });

  it('goes on when the manager’s own node dies: it logs in through the other and has its workers report', async () => {
    const [node1, node2] = cluster.services as [string, string];
    pool = await createPool(cluster, ['--ping-interval', '1'], {
      manager: { server: `${node2},${node1}` },
    });
    out = outputDir();
    // On node 1 only: they never hear that the manager's session on node 2 went.
    await pool.startWorker('a', { slots: 1, server: node1 });
    await pool.startWorker('b', { slots: 1, server: node1 });
    const alice = await pool.user();
    const job = await alice.ask({ type: 'job', command: `sh ${RECORD} ${out} 0.5`, queue: 12 });
    const jobId = job.job_id as number;
    monitor = startStoreMonitor(pool.store, jobId, 100);
    await monitor.until(2, () => false);

    await cluster.killNode(1);
    await pool.manager.waitForOutput('xmpp connection back', 20_000);
    const finished = await alice.waitFor(
      (r) => r.type === 'job_finished' && r.job_id === jobId,
      60_000,
    );
    expect(finished).toMatchObject({ done: 12, failed: 0, cancelled: 0 });
    for (const name of ['a', 'b'])
      expect(count(pool.workers.get(name)!.output(), 'manager is online; reporting')).toBe(1);
    await monitor.stop();
    expect(monitor.duplicates()).toEqual([]);
    for (let i = 0; i < 12; i += 1) expect(linesOf(out, i).length).toBeGreaterThanOrEqual(1);
    await cluster.startNode(1);
  });
});
