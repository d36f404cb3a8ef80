// What one pool account can cost the manager (issue 8, items 8, 9 and 15), against the embedded
// server, whose 256 KiB stanza limit is the one `kestrel head` enforces: replies and dispatches
// that outgrew it made the server drop the manager's own connection; a user could queue without
// bound; job ids told which jobs exist; `kestrel status` printed terminal escapes raw.
import { afterAll, describe, expect, it } from 'vitest';

import { wireBytes } from '../../../shared/protocol/encode.ts';
import { MAX_WORKER_BODY, STATUS_COMMAND_CHARS } from '../../../shared/protocol/limits.ts';
import { createConnection, type XmppConnection } from '../../../src-main/xmpp/connection.ts';
import { startEmbedded } from '../../harness/embedded.ts';
import { createPool, type Pool, type Reply } from '../../harness/pool.ts';
import { kestrelEnv, runKestrel } from '../../harness/processes.ts';
import { until } from '../../harness/task-output.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';
import { expectRefused, expectServed, poolStillWorks, storeSnapshot } from './probe.ts';
import { useHostileSuite } from './suite.ts';

const suite = useHostileSuite('one account', () => startEmbedded());
const LOST = 'xmpp connection lost';
// `&` is 5 bytes on the wire (`&amp;`): the worst case of a valid 4,096-character command.
const longCommand = (length: number) => `true #${'&'.repeat(length - 6)}`;
const PASSWORD = 'one-account-pw';

async function newPool(args: string[] = []): Promise<Pool> {
  suite.pool = await createPool(suite.server, args);
  return suite.pool;
}

/** A client on an account of the pool's domain, which the default policy lets act as a worker. */
async function rawWorker(): Promise<{ connection: XmppConnection; bodies: string[] }> {
  const local = uniqueUser('raw-worker');
  await suite.server.createAccount(local, PASSWORD);
  const connection = createConnection({
    service: suite.server.service,
    domain: suite.server.domain,
    username: local,
    password: PASSWORD,
    resource: 'w',
  });
  const bodies: string[] = [];
  connection.on('message', ({ body }) => bodies.push(body));
  connection.on('error', () => undefined);
  await connection.start();
  suite.cleanup(() => connection.stop());
  return { connection, bodies };
}

afterAll(() => {
  // The tally of this file includes the inputs served below; every one must have been.
  expect(suite.tally.unexpected).toEqual([]);
});

describe('one account against the manager (embedded)', () => {
  it('answers a status of 20 jobs with 4,000-character commands and keeps its connection', async () => {
    const pool = await newPool();
    const alice = await pool.user();
    const ids: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const body = { type: 'job', command: longCommand(4000), queue: 1 };
      ids.push(Number((await expectServed(suite.tally, alice, body, 'job_started')).job_id));
    }
    for (let i = 0; i < 3; i += 1) {
      const reply = await expectServed(suite.tally, alice, { type: 'status' }, 'status');
      const jobs = reply.jobs as Reply[];
      expect(wireBytes(JSON.stringify(reply))).toBeLessThanOrEqual(MAX_WORKER_BODY);
      // Newest first; what did not fit is counted, not dropped silently.
      expect(jobs.map((j) => j.job_id)).toEqual(ids.slice().reverse().slice(0, jobs.length));
      expect(jobs.length + Number(reply.truncated ?? 0)).toBe(20);
      for (const j of jobs) expect(String(j.command)).toHaveLength(STATUS_COMMAND_CHARS);
    }
    const one = await expectServed(
      suite.tally,
      alice,
      { type: 'status', job_id: ids[0] },
      'status',
    );
    expect((one.jobs as Reply[])[0]?.command).toBe(longCommand(4000));
    expect(pool.manager.output()).not.toContain(LOST);
    await pool.startWorker('a');
    await poolStillWorks(pool, alice);
  });

  it('dispatches 16 tasks with 4,095-character commands and cleanups, in bodies that fit', async () => {
    const pool = await newPool();
    const alice = await pool.user();
    const worker = await rawWorker();
    const profile = { os: 'Linux', ram: 65536, cores: 16, provides: [], slots: 16, running: [] };
    await worker.connection.sendJson(pool.managerJid, { type: 'profile', v: 1, ...profile });
    const job = { type: 'job', command: longCommand(4095), cleanup: longCommand(4095), queue: 16 };
    const started = await expectServed(suite.tally, alice, job, 'job_started');
    const tasks = () =>
      worker.bodies.flatMap((b) => {
        const m = JSON.parse(b) as { type: string; tasks?: { index: number; command: string }[] };
        return m.type === 'tasks' ? (m.tasks ?? []) : [];
      });
    await until(() => tasks().length >= 16, '16 tasks to reach the worker');
    for (const body of worker.bodies) expect(wireBytes(body)).toBeLessThanOrEqual(MAX_WORKER_BODY);
    expect(tasks().every((t) => t.command === job.command)).toBe(true);
    const results = tasks().map((t) => ({
      job_id: started.job_id,
      index: t.index,
      attempt: 1,
      exit_code: 0,
      signal: null,
      duration_ms: 1,
      stdout_tail: '',
      stderr_tail: '',
    }));
    await worker.connection.sendJson(pool.managerJid, { type: 'task_results', v: 1, results });
    const finished = await alice.waitFor(
      (r) => r.type === 'job_finished' && r.job_id === started.job_id,
    );
    expect(finished).toMatchObject({ done: 16, failed: 0 });
    expect(pool.manager.output()).not.toContain(LOST);
  });

  it('caps the unfinished tasks of one user by default, with a reason naming the limit', async () => {
    const pool = await newPool();
    const alice = await pool.user();
    const bob = await pool.user('bob');
    const big = { type: 'job', command: 'true', queue: 10_000_000 };
    const started = await expectServed(suite.tally, alice, big, 'job_started');
    const before = storeSnapshot(pool);
    await expectRefused(suite.tally, alice, big, {
      type: 'job_rejected',
      reason: /at most 10000000 per user \(--max-queued-per-user\)/,
    });
    await expectRefused(
      suite.tally,
      alice,
      { type: 'job', command: 'true', queue: 1 },
      { type: 'job_rejected', reason: /10000001 unfinished tasks/ },
    );
    expect(storeSnapshot(pool)).toBe(before);
    // Another user is not held back by alice's queue.
    await expectServed(suite.tally, bob, big, 'job_started');
    const cancelled = await expectServed(suite.tally, alice, { type: 'cancel' }, 'cancelled');
    expect(cancelled).toMatchObject({ job_ids: [started.job_id], tasks: 10_000_000 });
    await expectServed(suite.tally, alice, big, 'job_started');
  });

  it('caps the unfinished jobs of one user as --max-jobs-per-user says', async () => {
    const pool = await newPool(['--max-jobs-per-user', '2', '--max-queued-per-user', '50']);
    const alice = await pool.user();
    const job = { type: 'job', command: 'true', queue: 20 };
    const first = await expectServed(suite.tally, alice, job, 'job_started');
    await expectServed(suite.tally, alice, job, 'job_started');
    await expectRefused(suite.tally, alice, job, {
      type: 'job_rejected',
      reason: /you have 2 unfinished jobs .* at most 2 per user \(--max-jobs-per-user\)/,
    });
    await expectServed(suite.tally, alice, { type: 'cancel', job_id: first.job_id }, 'cancelled');
    await expectRefused(
      suite.tally,
      alice,
      { type: 'job', command: 'true', queue: 31 },
      { type: 'job_rejected', reason: /at most 50 per user \(--max-queued-per-user\)/ },
    );
    await expectServed(suite.tally, alice, job, 'job_started');
  });

  it('answers for a job that is not yours exactly as for one that does not exist', async () => {
    const pool = await newPool();
    const alice = await pool.user();
    const mallory = await pool.user('mallory');
    const started = await expectServed(
      suite.tally,
      alice,
      { type: 'job', command: 'true', queue: 1 },
      'job_started',
    );
    const theirs = Number(started.job_id);
    const missing = theirs + 1000;
    const answers: Reply[] = [];
    for (const type of ['status', 'cancel']) {
      for (const id of [theirs, missing]) {
        const reply = await expectRefused(
          suite.tally,
          mallory,
          { type, job_id: id },
          {
            type: 'error',
            code: 'unknown_job',
          },
        );
        answers.push({ ...reply, reason: String(reply.reason).replace(String(id), 'N') });
      }
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[2]).toEqual(answers[3]);
    await pool.startWorker('a');
    await poolStillWorks(pool, alice);
  });

  it('`kestrel status` shows control characters from commands and stderr escaped', async () => {
    const pool = await newPool();
    await pool.startWorker('a', { slots: 1 });
    const local = uniqueUser('cli');
    await suite.server.createAccount(local, PASSWORD);
    const env = kestrelEnv({
      KESTREL_SERVER: suite.server.service,
      KESTREL_JID: `${local}@${suite.server.domain}`,
      KESTREL_PASSWORD: PASSWORD,
      KESTREL_MANAGER: pool.managerJid,
    });
    // The command itself carries ESC and BEL; its stderr a title change, a clear screen and C1 CSI.
    const command = "printf '\\033]0;pwned\\007\\033[2J\\302\\233m' >&2; false #\u001b[31m\u0007";
    suite.tally.tried += 1;
    const submitted = await runKestrel(['submit', command, '--queue', '1', '--wait'], env);
    expect(submitted.code).toBe(1);
    const jobId = /job (\d+) started/.exec(submitted.stdout)?.[1] ?? '';
    for (const args of [['status'], ['status', jobId], ['status', jobId, '--json']]) {
      const shown = await runKestrel(args, env);
      expect(shown.code).toBe(0);
      // eslint-disable-next-line no-control-regex -- finding raw controls is the point
      expect(shown.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(shown.stdout).toMatch(args.includes('--json') ? /\\u001b/ : /\\x1b/);
    }
    suite.tally.refused += 1;
  });
});
