// Failures a pool must ride out: a frozen worker, an XMPP server restart, and a stranger trying
// to hand a worker tasks.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from '../../../src-main/xmpp/connection.ts';
import { createPool, POOL_PASSWORD, type Pool } from '../../harness/pool.ts';
import { linesOf, outputDir, RECORD, runningPids, until } from '../../harness/task-output.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';

let server: TestXmppServer;
let pool: Pool | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  for (const w of pool?.workers.values() ?? []) w.child.kill('SIGCONT');
  await pool?.close();
  pool = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dir(): string {
  const d = outputDir();
  dirs.push(d);
  return d;
}

describe(`failover (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('requeues the task of a frozen worker, ignores its late result, and takes it back after it thaws', async () => {
    pool = await createPool(server, ['--ping-interval', '1']);
    const out = dir();
    const frozen = await pool.startWorker('frozen', { slots: 1 });
    const alice = await pool.user();
    // Long enough that the task is still running when the spare worker is up and this one freezes.
    const job = await alice.ask({ type: 'job', command: `sh ${RECORD} ${out} 3`, queue: 1 });
    await until(() => runningPids(out).length === 1, 'the task to start');
    await pool.startWorker('spare', { slots: 1 });
    frozen.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    await pool.manager.waitForOutput('did not answer ping', 20_000);
    console.log(
      `worker SIGSTOP → noticed and requeued in ${Date.now() - frozenAt} ms (ping interval 1 s)`,
    );
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === job.job_id);
    frozen.child.kill('SIGCONT');
    // Thawed, it finishes its copy of the task (at-least-once execution)…
    await until(() => linesOf(out, 0).length === 2, 'the frozen copy to finish', 15_000);
    // …which is not recorded a second time, and it reports again so it gets new work.
    const rows = pool.query<{ state: string; worker: string }>(
      'SELECT state, worker FROM tasks WHERE job_id = ?',
      job.job_id as number,
    );
    expect(rows).toEqual([{ state: 'done', worker: expect.stringMatching(/\/spare$/) }]);
    await pool.workers.get('spare')!.kill('SIGTERM');
    const next = await alice.ask({ type: 'job', command: 'true', queue: 2 });
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === next.job_id);
    const workers = pool.query<{ worker: string }>(
      'SELECT DISTINCT worker FROM tasks WHERE job_id = ?',
      next.job_id as number,
    );
    expect(workers).toEqual([{ worker: expect.stringMatching(/\/frozen$/) }]);
    expect(
      alice.replies.filter((r) => r.type === 'job_finished' && r.job_id === job.job_id),
    ).toHaveLength(1);
  });

  it('finishes a job across an XMPP server restart: everyone reconnects and reports', async () => {
    pool = await createPool(server);
    const out = dir();
    await Promise.all(['a', 'b'].map((name) => pool!.startWorker(name, { slots: 2 })));
    // An IM client with the manager in its roster: if the job ends while alice is still
    // reconnecting (clients back off independently), the notice waits for her presence.
    const alice = await pool.user('alice', { sharePresence: true });
    const job = await alice.ask({ type: 'job', command: `sh ${RECORD} ${out} 0.3`, queue: 30 });
    const jobId = job.job_id as number;
    await until(() => linesOf(out, 3).length > 0, 'a few tasks done');
    await server.restart();
    // The user's own client reconnects too; job_finished is addressed to it.
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId, 90_000);
    expect(alice.replies.find((r) => r.type === 'job_finished')).toMatchObject({
      done: 30,
      failed: 0,
    });
    expect(
      pool.query('SELECT state, count(*) AS n FROM tasks WHERE job_id = ? GROUP BY state', jobId),
    ).toEqual([{ state: 'done', n: 30 }]);
    for (let i = 0; i < 30; i += 1)
      expect(linesOf(out, i).length, `index ${i}`).toBeGreaterThanOrEqual(1);
  });

  it('keeps a job_finished that bounced off an offline submitter and gives it with the next reply', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 1 });
    const alice = await pool.user();
    const job = await alice.ask({ type: 'job', command: 'sleep 1; echo', queue: 1 });
    await alice.close();
    await pool.manager.waitForOutput('job_finished bounced', 30_000);
    const back = await pool.userAgain(alice);
    expect(await back.ask({ type: 'status' })).toMatchObject({ type: 'status' });
    const finished = await back.waitFor((r) => r.type === 'job_finished');
    expect(finished).toEqual({
      type: 'job_finished',
      job_id: job.job_id,
      done: 1,
      failed: 0,
      cancelled: 0,
    });
    expect(pool.query('SELECT notified FROM jobs WHERE id = ?', job.job_id as number)).toEqual([
      { notified: 1 },
    ]);
  });

  it('gives a bounced job_finished to a submitter who shares presence as soon as they are back', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 1 });
    const alice = await pool.user('alice', { sharePresence: true });
    const job = await alice.ask({ type: 'job', command: 'sleep 1; echo', queue: 1 });
    await alice.close();
    await pool.manager.waitForOutput('job_finished bounced', 30_000);
    const back = await pool.userAgain(alice);
    // No request: coming online is enough.
    expect(await back.waitFor((r) => r.type === 'job_finished')).toMatchObject({
      job_id: job.job_id,
      done: 1,
    });
  });

  it('refuses tasks from another login to its manager’s own account', async () => {
    pool = await createPool(server);
    const out = dir();
    const worker = await pool.startWorker('a', { slots: 1 });
    // Whoever else holds the manager's password (a second copy, a thief) logs in beside it.
    const evil = createConnection({
      service: server.service,
      domain: server.domain,
      username: pool.managerJid.split('@')[0] ?? '',
      password: POOL_PASSWORD,
      resource: 'evil',
    });
    const answers: string[] = [];
    evil.on('message', ({ from, body }) => {
      if (from === pool?.workerJids.get('a')) answers.push(body);
    });
    try {
      await evil.start();
      await worker.waitForOutput('another resource of the manager account is online');
      const task = {
        job_id: 1,
        index: 0,
        attempt: 1,
        command: `sh ${RECORD} ${out} 0`,
        cores: 1,
        ram: 0,
      };
      await evil.sendJson(pool.workerJids.get('a')!, { type: 'tasks', v: 1, tasks: [task] });
      await until(() => answers.length > 0, 'the worker to answer');
      expect(JSON.parse(answers[0]!)).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(existsSync(join(out, '0'))).toBe(false);
      // The real manager still has it: a job runs.
      const alice = await pool.user();
      const job = await alice.ask({ type: 'job', command: 'true', queue: 1 });
      await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === job.job_id);
    } finally {
      await evil.stop();
    }
  });

  it('refuses tasks sent to a worker by anyone but its manager', async () => {
    pool = await createPool(server);
    const out = dir();
    await pool.startWorker('a', { slots: 1 });
    const rogue = await pool.user('rogue');
    const answers: string[] = [];
    rogue.connection.on('message', ({ body }) => answers.push(body));
    const task = {
      job_id: 1,
      index: 0,
      attempt: 1,
      command: `sh ${RECORD} ${out} 0`,
      cores: 1,
      ram: 0,
    };
    await rogue.connection.sendJson(pool.workerJids.get('a')!, {
      type: 'tasks',
      v: 1,
      tasks: [task],
    });
    await until(() => answers.length > 0, 'the worker to answer');
    expect(JSON.parse(answers[0]!)).toMatchObject({ type: 'error', code: 'forbidden' });
    await pool.workers.get('a')!.waitForOutput('refused a message');
    expect(existsSync(join(out, '0'))).toBe(false);
    expect(runningPids(out)).toEqual([]);
  });
});
