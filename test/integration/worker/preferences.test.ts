// The owner's preferences on a headless `kestrel worker`, set by flags: a task over its job's
// memory request and a task over its time limit (the job's, or the worker's maximum) are
// stopped and reported to the manager with the reason; a blocked submitter's tasks are refused
// and run on another worker; `kestrel worker history` lists what ran; bad flags are refused.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../harness/pool.ts';
import { kestrelEnv, runKestrel } from '../../harness/processes.ts';
import { FIXTURES } from '../../harness/task-output.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';

let server: TestXmppServer;
let pool: Pool | undefined;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

interface Row {
  state: string;
  worker: string | null;
  signal: string | null;
  error: string | null;
  attempt: number;
}
const task = (p: Pool, jobId: number): Row | undefined =>
  p.query<Row>(
    'SELECT state, worker, signal, error, attempt FROM tasks WHERE job_id = ? AND idx = 0',
    jobId,
  )[0];

const kestrel = (args: string[]) => runKestrel(args, kestrelEnv({}));

describe(`kestrel worker preferences (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('stops a task over its ram or its time limit and tells the manager why', async () => {
    pool = await createPool(server);
    await pool.startWorker('w', { slots: 3, args: ['--max-task-seconds', '2'] });
    const alice = await pool.user();
    const jobs: Record<string, number> = {};
    for (const [name, body] of [
      ['ram', { command: `sh ${FIXTURES}/hog-memory.sh 200`, ram: 64 }],
      ['timeout', { command: 'sleep 60', timeout: 1 }],
      ['worker maximum', { command: 'sleep 60' }],
    ] as const) {
      const started = await alice.ask({ type: 'job', queue: 1, ...body });
      expect(started).toMatchObject({ type: 'job_started' });
      jobs[name] = started.job_id as number;
    }
    for (const jobId of Object.values(jobs))
      await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId && r.failed === 1);
    expect(task(pool, jobs.ram!)).toMatchObject({
      state: 'failed',
      signal: 'SIGTERM',
      error: expect.stringMatching(
        /^stopped: it used \d+ MB of memory, more than the 64 MB its job asked for \(ram\)$/,
      ),
    });
    expect(task(pool, jobs.timeout!)?.error).toBe(
      'stopped: it ran longer than its time limit of 1 s',
    );
    expect(task(pool, jobs['worker maximum']!)?.error).toBe(
      'stopped: it ran longer than its time limit of 2 s',
    );

    const history = await kestrel(['worker', 'history', '--json', '--data-dir', pool.dataDir]);
    expect(history.code).toBe(0);
    const entries = JSON.parse(history.stdout) as { jobId: number; note?: string }[];
    expect(entries.map((e) => e.jobId).sort()).toEqual(Object.values(jobs).sort());
    expect(entries.find((e) => e.jobId === jobs.ram)?.note).toMatch(/more than the 64 MB/);
  });

  it('refuses a blocked submitter’s tasks; they run on another worker', async () => {
    pool = await createPool(server);
    const mallory = await pool.user('mallory');
    const picky = await pool.startWorker('picky', {
      slots: 1,
      args: ['--blocked-submitters', mallory.jid],
    });
    const started = await mallory.ask({ type: 'job', command: 'echo hi', queue: 1 });
    const jobId = started.job_id as number;
    await picky.waitForOutput('refused a task');
    await pool.startWorker('other', { slots: 1 });
    await mallory.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId && r.done === 1);
    expect(task(pool, jobId)).toMatchObject({
      state: 'done',
      worker: pool.workerJids.get('other'),
      attempt: 2,
    });
  });

  it('refuses preferences it cannot read, naming the flag', async () => {
    for (const [args, pattern] of [
      [['--schedule', 'weekdays 9-5'], /--schedule: schedule: 'weekdays 9-5' is not like/],
      [['--cpu-time-limit', '5'], /cpuTimeLimit/],
      [['--blocked-jobs', 'x'], /--blocked-jobs takes job numbers/],
      [['--idle-source', 'x11'], /idleSource/],
    ] as const) {
      const result = await kestrel([
        'worker',
        ...args,
        '--jid',
        'a@b',
        '--password',
        'p',
        '--manager',
        'm@b',
      ]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(pattern);
    }
  });
});
