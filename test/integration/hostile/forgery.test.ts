// Forged worker traffic: results for a task from a JID that does not hold it (another account of
// the worker domain, or the worker's own account on another resource), and `profile` messages from
// a JID that is not a worker or that claims another worker's task. None may be recorded or take
// anything away from the worker that holds the task.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { bareJid, localOf } from '../../../src-main/common/jid.ts';
import { createConnection, type XmppConnection } from '../../../src-main/xmpp/connection.ts';
import { createPool, type Pool } from '../../harness/pool.ts';
import { linesOf, outputDir, RECORD, runningPids, until } from '../../harness/task-output.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';
import {
  createTally,
  expectRefused,
  managerAlive,
  poolStillWorks,
  report,
  storeSnapshot,
} from './probe.ts';

let server: TestXmppServer;
let pool: Pool | undefined;
let impostor: XmppConnection | undefined;
const dirs: string[] = [];
const tally = createTally();
let crashes = 0;

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  if (pool && !managerAlive(pool)) crashes += 1;
  await impostor?.stop();
  impostor = undefined;
  await pool?.close();
  pool = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  console.log(report('forged worker traffic', tally, crashes));
  await server?.stop();
});

function dir(): string {
  const d = outputDir();
  dirs.push(d);
  return d;
}

const result = (ref: { job_id: number; index: number; attempt: number }, exitCode = 0) => ({
  ...ref,
  exit_code: exitCode,
  signal: null,
  duration_ms: 5,
  stdout_tail: 'forged\n',
  stderr_tail: '',
});
const results = (...items: object[]) => ({ type: 'task_results', v: 1, results: items });
const profile = (running: object[]) => ({
  type: 'profile',
  v: 1,
  os: 'Linux',
  ram: 4096,
  cores: 4,
  provides: [],
  slots: 4,
  running,
});

/** A pool whose one worker ('a', one slot) runs task 0 of a 1-task job for `seconds`. */
async function poolWithRunningTask(seconds: number, managerArgs: string[] = []) {
  pool = await createPool(server, ['--ping-interval', '1', ...managerArgs]);
  await pool.startWorker('a', { slots: 1 });
  const alice = await pool.user();
  const out = dir();
  const started = await alice.ask({
    type: 'job',
    command: `sh ${RECORD} ${out} ${seconds}`,
    queue: 1,
  });
  const jobId = started.job_id as number;
  await until(() => runningPids(out).length === 1, 'the task to start');
  const ref = { job_id: jobId, index: 0, attempt: 1 };
  return { pool, alice, out, jobId, ref, workerJid: pool.workerJids.get('a')! };
}

async function expectRecordedFrom(p: Pool, jobId: number, workerJid: string) {
  expect(
    p.query('SELECT state, worker, attempt, exit_code FROM tasks WHERE job_id = ?', jobId),
  ).toEqual([{ state: 'done', worker: workerJid, attempt: 1, exit_code: 0 }]);
}

describe(`forged worker traffic (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('acks but never records a result from a JID that does not hold the task', async () => {
    const { pool, alice, out, jobId, ref, workerJid } = await poolWithRunningTask(3);
    const before = storeSnapshot(pool);
    // Another account of the worker domain: a worker by the default policy, but not this task's.
    const bob = await pool.user('bob');
    for (const forged of [
      results(result(ref)),
      results(result(ref, 1)),
      results(result({ ...ref, attempt: 2 })),
      results(result({ ...ref, index: 1 })),
      results(result({ ...ref, job_id: 987_654 })),
    ]) {
      await expectRefused(tally, bob, forged, { type: 'ack' });
    }
    // The worker's own account on another resource: still not the full JID that holds the task.
    impostor = createConnection({
      service: server.service,
      domain: server.domain,
      username: localOf(bareJid(workerJid)),
      password: 'test-password-1', // the harness's password for every account
      resource: 'impostor',
    });
    const heard: string[] = [];
    impostor.on('message', ({ body }) => heard.push(body));
    await impostor.start();
    tally.tried += 1;
    await impostor.sendJson(pool.managerJid, results(result(ref)));
    await until(() => heard.length > 0, 'the manager to answer the impostor');
    expect(JSON.parse(heard[0]!)).toMatchObject({ type: 'ack', results: [ref] });
    tally.refused += 1;
    expect(storeSnapshot(pool)).toBe(before);

    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    await expectRecordedFrom(pool, jobId, workerJid);
    expect(linesOf(out, 0)).toHaveLength(1);
    expect(pool.query('SELECT stdout_tail FROM tasks WHERE job_id = ?', jobId)).toEqual([
      { stdout_tail: '' },
    ]);
    await poolStillWorks(pool, alice);
  });

  it('a worker-domain user claiming another worker’s task in a profile is told to cancel it, and takes nothing', async () => {
    const { pool, alice, out, jobId, ref, workerJid } = await poolWithRunningTask(2);
    const mallory = await pool.user('mallory');
    const before = storeSnapshot(pool);
    // By the default policy an account of the pool's domain may work; it may not take a task away.
    const reply = await expectRefused(tally, mallory, profile([ref]), { type: 'cancel_tasks' });
    expect(reply.tasks).toEqual([ref]);
    expect(storeSnapshot(pool)).toBe(before);
    expect(runningPids(out)).toHaveLength(1);
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    await expectRecordedFrom(pool, jobId, workerJid);
    // Mallory goes away without a word (the manager never saw its presence): tasks handed to it
    // come back when it fails the liveness ping, so the pool still finishes jobs.
    await mallory.close();
    await poolStillWorks(pool, alice);
  });

  it('with --workers restricted, profile and results from anyone else are refused as unknown requests', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    const workerJid = pool.workerJids.get('a')!;
    await pool.manager.kill('SIGTERM');
    await pool.startManager(['--workers', bareJid(workerJid), '--ping-interval', '1']);
    await pool.workers.get('a')!.waitForOutput(/reporting[\s\S]*reporting/);
    const alice = await pool.user();
    const out = dir();
    const started = await alice.ask({ type: 'job', command: `sh ${RECORD} ${out} 1`, queue: 2 });
    const jobId = started.job_id as number;
    await until(() => runningPids(out).length === 2, 'both tasks to start');
    const before = storeSnapshot(pool);
    const ref = { job_id: jobId, index: 0, attempt: 1 };
    for (const forged of [profile([]), profile([ref]), results(result(ref))]) {
      const reply = await expectRefused(tally, alice, forged, {
        type: 'error',
        code: 'unknown_type',
      });
      expect(reply.reason).toMatch(/expected job, status, cancel, why, pool, purge or help/);
    }
    expect(storeSnapshot(pool)).toBe(before);
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(pool.query('SELECT DISTINCT worker FROM tasks WHERE job_id = ?', jobId)).toEqual([
      { worker: workerJid },
    ]);
    // The refused "worker" was never handed a task.
    expect(alice.replies.filter((r) => r.type === 'tasks')).toEqual([]);
    await poolStillWorks(pool, alice);
  });
});
