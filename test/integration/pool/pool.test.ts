// The core pool end to end: a real manager and real workers (`kestrel` processes) on a real XMPP
// server, driven by an ordinary XMPP client speaking the seed-001 protocol.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../harness/pool.ts';
import {
  FIXTURES,
  linesOf as readLines,
  outputDir as makeOutputDir,
  processGroup,
  processesWith,
  RECORD,
  runningPids as runningIn,
  until,
} from '../../harness/task-output.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';

let server: TestXmppServer;
let pool: Pool | undefined;
let out: string;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  if (out) rmSync(out, { recursive: true, force: true });
});

function outputDir(): string {
  out = makeOutputDir();
  return out;
}

const linesOf = (index: number) => readLines(out, index);
const runningPids = () => runningIn(out);

describe(`core pool (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('runs a 200-task job on 3 workers, every index exactly once, and tells the submitter', async () => {
    pool = await createPool(server);
    const dir = outputDir();
    await Promise.all(['a', 'b', 'c'].map((name) => pool!.startWorker(name, { slots: 2 })));
    const alice = await pool.user();
    // The exact form from seed 001: a Python dict with single quotes, as people paste it.
    const started = await alice.ask(
      `{'type':'job', 'command':"sh ${RECORD} ${dir} 0", 'queue':200}`,
    );
    expect(started).toMatchObject({ type: 'job_started' });
    const jobId = started.job_id as number;
    const finished = await alice.waitFor(
      (r) => r.type === 'job_finished' && r.job_id === jobId,
      120_000,
    );
    expect(finished).toMatchObject({ done: 200, failed: 0, cancelled: 0 });

    for (let i = 0; i < 200; i += 1) expect(linesOf(i), `index ${i}`).toHaveLength(1);
    const rows = pool.query<{ state: string; n: number }>(
      'SELECT state, count(*) AS n FROM tasks WHERE job_id = ? GROUP BY state',
      jobId,
    );
    expect(rows).toEqual([{ state: 'done', n: 200 }]);
    const workers = pool.query<{ worker: string }>(
      'SELECT DISTINCT worker FROM tasks WHERE job_id = ?',
      jobId,
    );
    expect(workers).toHaveLength(3);

    const status = await alice.ask({ type: 'status', job_id: jobId });
    expect(status).toMatchObject({
      type: 'status',
      jobs: [{ job_id: jobId, state: 'finished', done: 200 }],
    });
    expect(alice.replies.filter((r) => r.type === 'job_finished')).toHaveLength(1);
  });

  it('sends a job that requires tags only to workers that provide them', async () => {
    pool = await createPool(server);
    const dir = outputDir();
    await pool.startWorker('gpu', { provides: ['GPU', 'LINUX'], slots: 2 });
    await pool.startWorker('plain', { provides: ['LINUX'], slots: 2 });
    const alice = await pool.user();
    const started = await alice.ask({
      type: 'job',
      command: `sh ${RECORD} ${dir} 0.05`,
      queue: 12,
      requires: ['GPU'],
    });
    const jobId = started.job_id as number;
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    const workers = pool.query<{ worker: string }>(
      'SELECT DISTINCT worker FROM tasks WHERE job_id = ?',
      jobId,
    );
    expect(workers.map((w) => w.worker)).toEqual([expect.stringMatching(/\/gpu$/)]);
  });

  it('shows status, and cancel kills the running tasks', async () => {
    pool = await createPool(server);
    const dir = outputDir();
    await pool.startWorker('a', { slots: 2 });
    const alice = await pool.user();
    const bob = await pool.user('bob');
    const started = await alice.ask(
      `{'type':'job', 'command':"sh ${RECORD} ${dir} 300", 'queue':10}`,
    );
    const jobId = started.job_id as number;
    await until(() => runningPids().length === 2, 'two tasks running');

    const status = await alice.ask("{'type':'status'}");
    expect(status).toMatchObject({
      jobs: [{ job_id: jobId, running: 2, queued: 8, done: 0, state: 'running' }],
    });
    // Someone else's job looks like one that does not exist.
    expect(await bob.ask({ type: 'status', job_id: jobId })).toMatchObject({
      type: 'error',
      code: 'unknown_job',
    });
    expect(await bob.ask({ type: 'cancel', job_id: jobId })).toMatchObject({
      type: 'error',
      code: 'unknown_job',
    });
    expect(await alice.ask({ type: 'cancel', job_id: 999_999 })).toMatchObject({
      type: 'error',
      code: 'unknown_job',
    });

    const cancelled = await alice.ask(`{'type':'cancel', 'job_id': ${jobId}}`);
    expect(cancelled).toEqual({ type: 'cancelled', job_ids: [jobId], tasks: 10 });
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(alice.replies.find((r) => r.type === 'job_finished')).toMatchObject({
      done: 0,
      cancelled: 10,
    });
    // By the output directory in their command lines: no process of the tasks is left.
    await until(() => processesWith(dir).length === 0, 'cancelled tasks to be killed', 15_000);
    expect(await alice.ask({ type: 'status', job_id: jobId })).toMatchObject({
      jobs: [{ state: 'cancelled', cancelled: 10, running: 0 }],
    });
  });

  it('retries a non-zero exit, then counts the task failed with its exit code', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    const alice = await pool.user();
    // Fails on the first attempt, succeeds on the second.
    const flaky = await alice.ask({
      type: 'job',
      command: 'test "$KESTREL_ATTEMPT" -ge 2 && echo',
      queue: 3,
      retries: 1,
    });
    const broken = await alice.ask({
      type: 'job',
      command: `sh ${join(FIXTURES, 'exit-nonzero.sh')}`,
      queue: 2,
      retries: 2,
    });
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === flaky.job_id);
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === broken.job_id);
    expect(
      alice.replies.find((r) => r.type === 'job_finished' && r.job_id === flaky.job_id),
    ).toMatchObject({ done: 3, failed: 0 });
    expect(
      alice.replies.find((r) => r.type === 'job_finished' && r.job_id === broken.job_id),
    ).toMatchObject({ done: 0, failed: 2 });
    const status = await alice.ask({ type: 'status', job_id: broken.job_id });
    expect(status).toMatchObject({
      jobs: [
        {
          failures: [
            { index: 0, exit_code: 3 },
            { index: 1, exit_code: 3 },
          ],
        },
      ],
    });
    const attempts = pool.query<{ attempt: number }>(
      'SELECT attempt FROM tasks WHERE job_id = ?',
      broken.job_id as number,
    );
    expect(attempts.map((a) => a.attempt)).toEqual([3, 3]);
  });

  it('requeues the task of a worker killed with SIGKILL and finishes it elsewhere', async () => {
    pool = await createPool(server);
    const dir = outputDir();
    const doomed = await pool.startWorker('doomed', { slots: 1 });
    const alice = await pool.user();
    const started = await alice.ask({ type: 'job', command: `sh ${RECORD} ${dir} 2`, queue: 1 });
    await until(() => runningPids().length === 1, 'the task to start');
    await pool.startWorker('spare', { slots: 1 });
    // The machine dies: the worker and the task it runs (the groups of the task's processes).
    const groups = new Set(processesWith(dir).map(processGroup));
    const killedAt = Date.now();
    await doomed.kill('SIGKILL');
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Gone with the worker already (the sandbox dies with its parent).
      }
    }
    await pool.manager.waitForOutput('requeued 1 tasks', 15_000);
    const requeuedAt = Date.now();
    const finished = await alice.waitFor(
      (r) => r.type === 'job_finished' && r.job_id === started.job_id,
    );
    expect(finished).toMatchObject({ done: 1, failed: 0 });
    const [row] = pool.query<{ worker: string; attempt: number }>(
      'SELECT worker, attempt FROM tasks WHERE job_id = ?',
      started.job_id as number,
    );
    expect(row).toMatchObject({ worker: expect.stringMatching(/\/spare$/), attempt: 2 });
    console.log(
      `worker SIGKILL → task requeued in ${requeuedAt - killedAt} ms, job finished in ${Date.now() - killedAt} ms (task takes 2 s)`,
    );
  });

  it('finishes a job after the manager is killed with SIGKILL, recording no result twice', async () => {
    pool = await createPool(server);
    const dir = outputDir();
    await Promise.all(['a', 'b'].map((name) => pool!.startWorker(name, { slots: 2 })));
    const alice = await pool.user();
    const started = await alice.ask({ type: 'job', command: `sh ${RECORD} ${dir} 0.2`, queue: 40 });
    const jobId = started.job_id as number;
    const done = () =>
      pool!.query<{ n: number }>("SELECT count(*) AS n FROM tasks WHERE state = 'done'")[0]?.n ?? 0;
    await until(() => done() >= 6, 'some tasks done');
    await pool.manager.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    await pool.startManager();
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId, 60_000);
    expect(alice.replies.find((r) => r.type === 'job_finished')).toMatchObject({
      done: 40,
      failed: 0,
    });
    expect(
      pool.query('SELECT state, count(*) AS n FROM tasks WHERE job_id = ? GROUP BY state', jobId),
    ).toEqual([{ state: 'done', n: 40 }]);
    for (let i = 0; i < 40; i += 1)
      expect(linesOf(i).length, `index ${i}`).toBeGreaterThanOrEqual(1);
    expect(alice.replies.filter((r) => r.type === 'job_finished')).toHaveLength(1);
  });

  it('answers every malformed input with a clear error and keeps serving', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    const alice = await pool.user();
    const cases: [string, string][] = [
      ["{'type':'job'", 'bad_syntax'],
      ['[1, 2, 3]', 'not_an_object'],
      ["{'type':'jbo'}", 'unknown_type'],
      ["{'command':'x', 'queue':1}", 'unknown_type'],
      ["{'type':'job', 'command':'x', 'queue':-5}", 'invalid_field'],
      ["{'type':'job', 'command':'x', 'queue':0}", 'invalid_field'],
      ["{'type':'job', 'command':'x', 'queue':'ten'}", 'invalid_field'],
      ["{'type':'job', 'command':'x', 'queue':100000000000}", 'invalid_field'],
      ["{'type':'job', 'queue':1}", 'invalid_field'],
      ["{'type':'job', 'command':'x', 'queue':1, 'requires':'GPU'}", 'invalid_field'],
      ["{'type':'status', 'job_id':'abc'}", 'invalid_field'],
      ["{'type':'status', 'job_id':99999}", 'unknown_job'],
      ["{'type':'cancel', 'job_id':99999}", 'unknown_job'],
      [`{'type':'job', 'command':'${'x'.repeat(70_000)}', 'queue':1}`, 'too_large'],
      ['['.repeat(100) + ']'.repeat(100), 'too_large'],
    ];
    for (const [body, code] of cases) {
      const reply = await alice.ask(body);
      expect(reply, body.slice(0, 60)).toMatchObject({
        type: 'error',
        code,
        reason: expect.any(String),
      });
    }
    // Words typed in an IM client get a readable answer, not JSON.
    expect(await alice.ask('hello')).toEqual({
      type: 'text',
      text: expect.stringMatching(/^Sorry: .+\n\nKestrel takes these commands.*'type':'job'/s),
    });
    const started = await alice.ask({ type: 'job', command: 'true', queue: 3 });
    expect(started).toMatchObject({ type: 'job_started' });
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === started.job_id);
  });

  it('rate-limits a flood from one JID with a clear reply while others are served', async () => {
    pool = await createPool(server);
    const flooder = await pool.user('flood');
    const alice = await pool.user();
    const sent = 100;
    for (let i = 0; i < sent; i += 1)
      void flooder.connection.sendText(pool.managerJid, "{'type':'status'}");
    await flooder.waitFor(() => flooder.replies.length >= sent);
    const limited = flooder.replies.filter((r) => r.type === 'error' && r.code === 'rate_limited');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.reason).toMatch(/too many requests/);
    expect(flooder.replies.filter((r) => r.type === 'status').length).toBeGreaterThanOrEqual(30);
    expect(await alice.ask({ type: 'status' })).toMatchObject({ type: 'status', jobs: [] });
  });

  it('refuses jobs from a JID that is not allowed to submit', async () => {
    pool = await createPool(server, ['--submitters', `only-admin@${server.domain}`]);
    await pool.startWorker('a', { slots: 1 });
    const mallory = await pool.user('mallory');
    expect(await mallory.ask({ type: 'job', command: 'true', queue: 1 })).toMatchObject({
      type: 'job_rejected',
      reason: expect.stringContaining('may not'),
    });
    expect(await mallory.ask({ type: 'status' })).toMatchObject({
      type: 'error',
      code: 'forbidden',
    });
    expect(pool.query('SELECT id FROM jobs')).toEqual([]);
  });
});
