// Active and standby managers as real `kestrel manager` processes on one PostgreSQL store: the
// active one is killed (SIGKILL) or frozen (SIGSTOP) while a job runs, the standby takes over
// from the store and from the workers' reports, and the job ends as if nothing happened: no task
// lost, no result recorded twice, job_finished once. The frozen one, thawed, finds it was deposed
// and exits without writing anything more.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStoreMonitor, type StoreMonitor } from '../../chaos/monitor.ts';
import { EXIT } from '../../../src-main/cli/errors.ts';
import { createPool, type Pool } from '../../harness/pool.ts';
import { kestrelEnv, runKestrel } from '../../harness/processes.ts';
import { startPostgres, type TestPostgres } from '../../harness/postgres.ts';
import { linesOf, outputDir, RECORD } from '../../harness/task-output.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';

let server: TestXmppServer;
let postgres: TestPostgres;
let pool: Pool | undefined;
let monitor: StoreMonitor | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  [server, postgres] = await Promise.all([startTestServer(), startPostgres()]);
});
afterAll(async () => {
  await Promise.allSettled([server?.stop(), postgres?.stop()]);
});
afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
  await pool?.close();
  pool = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TASKS = 40;

/** Two managers on one store (m1 active, m2 standby), two workers, a job of 40 short tasks. */
async function runningJob() {
  const store = await postgres.createDatabase();
  pool = await createPool(server, ['--ping-interval', '1'], { store, manager: { name: 'm1' } });
  const m1 = pool.manager;
  const m2 = await pool.startManager(undefined, { name: 'm2', standby: true });
  await Promise.all(['a', 'b'].map((name) => pool!.startWorker(name, { slots: 2 })));
  const out = outputDir();
  dirs.push(out);
  const alice = await pool.user();
  const started = await alice.ask({
    type: 'job',
    command: `sh ${RECORD} ${out} 0.2`,
    queue: TASKS,
  });
  expect(started).toMatchObject({ type: 'job_started' });
  const jobId = started.job_id as number;
  monitor = startStoreMonitor(pool.store, jobId, 100);
  await monitor.until(8, () => false);
  return { m1, m2, out, alice, jobId };
}

/** When the store says epoch 2 began and the new manager first dispatched. */
async function takeoverTimes(p: Pool) {
  const [epoch] = await p.store.query<{ began_ms: string }>(
    'SELECT (extract(epoch from began_at) * 1000)::bigint AS began_ms FROM epochs WHERE epoch = 2',
  );
  const [first] = await p.store.query<{ at_ms: string | null }>(
    'SELECT (extract(epoch from min(at)) * 1000)::bigint AS at_ms FROM assignments WHERE epoch = 2',
  );
  return { beganAt: Number(epoch?.began_ms), firstDispatchAt: Number(first?.at_ms) };
}

/** What every takeover must leave: each task done once, one job_finished, no late write of epoch 1. */
async function expectCleanFinish(run: Awaited<ReturnType<typeof runningJob>>) {
  const p = pool!;
  const finished = await run.alice.waitFor(
    (r) => r.type === 'job_finished' && r.job_id === run.jobId,
    90_000,
  );
  expect(finished).toMatchObject({ done: TASKS, failed: 0, cancelled: 0 });
  await monitor!.stop();
  expect(monitor!.duplicates()).toEqual([]);
  const states = await p.store.query<{ state: string; n: string }>(
    'SELECT state, count(*) AS n FROM tasks WHERE job_id = ? GROUP BY state',
    run.jobId,
  );
  expect(states).toEqual([{ state: 'done', n: String(TASKS) }]);
  for (let i = 0; i < TASKS; i += 1)
    expect(linesOf(run.out, i).length, `index ${i}`).toBeGreaterThanOrEqual(1);
  // Every assignment of the deposed manager was stored before the new epoch began.
  const late = await p.store.query<{ n: string }>(
    `SELECT count(*) AS n FROM assignments a, epochs e
     WHERE e.epoch = 2 AND a.epoch = 1 AND a.at >= e.began_at`,
  );
  expect(late).toEqual([{ n: '0' }]);
  expect(
    await p.store.query<{ epoch: string }>('SELECT DISTINCT epoch FROM assignments ORDER BY 1'),
  ).toEqual([{ epoch: '1' }, { epoch: '2' }]);
  // Workers follow the new epoch and report to it.
  for (const name of ['a', 'b'])
    await p.workers
      .get(name)!
      .waitForOutput(/manager is online; reporting \{"manager":"[^"]+\/m2","epoch":2/);
  expect(run.alice.replies.filter((r) => r.type === 'job_finished')).toHaveLength(1);
  // Replies now come from the new active manager.
  expect(await run.alice.ask({ type: 'status', job_id: run.jobId })).toMatchObject({
    jobs: [{ state: 'finished', done: TASKS }],
  });
}

describe('standby managers on PostgreSQL', () => {
  it('takes over from an active manager killed with SIGKILL', async () => {
    const run = await runningJob();
    const killedAt = Date.now();
    await run.m1.kill('SIGKILL');
    await run.m2.waitForOutput('won the election');
    await expectCleanFinish(run);
    // What an operator sees.
    const status = await runKestrel(
      ['manager', 'status', '--json'],
      kestrelEnv({ KESTREL_STORE: pool!.storeLocation }),
    );
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      epoch: 2,
      active: { name: 'm2', epoch: 2 },
      standbys: [],
      takeovers: [
        { epoch: 2, name: 'm2' },
        { epoch: 1, name: 'm1' },
      ],
    });
    const t = await takeoverTimes(pool!);
    console.log(
      `SIGKILL of the active manager → epoch 2 after ${t.beganAt - killedAt} ms, first dispatch by the new one after ${t.firstDispatchAt - killedAt} ms`,
    );
  });

  it('takes over from an active manager frozen with SIGSTOP, which exits when it thaws', async () => {
    const run = await runningJob();
    const stoppedAt = Date.now();
    run.m1.child.kill('SIGSTOP');
    await run.m2.waitForOutput('won the election', 30_000);
    // Thawed, it has lost its lock: it stops before handling anything.
    run.m1.child.kill('SIGCONT');
    expect(await run.m1.exited).toEqual({ code: EXIT.deposed, signal: null });
    expect(run.m1.output()).toContain('no longer the active manager; stopping');
    await expectCleanFinish(run);
    const t = await takeoverTimes(pool!);
    console.log(
      `SIGSTOP of the active manager → epoch 2 after ${t.beganAt - stoppedAt} ms, first dispatch by the new one after ${t.firstDispatchAt - stoppedAt} ms`,
    );
  });
});
