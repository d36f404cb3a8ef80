// `kestrel pool`, `kestrel why` and `kestrel purge` — the ops view's questions from a terminal,
// over the chat protocol — against a real head node with real workers, as its admin and as an
// ordinary user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeadProcess, type HeadProcess } from '../../harness/head-process.ts';

let head: HeadProcess;
let admin: string;
let alice: string;

beforeAll(async () => {
  head = await startHeadProcess('ops.test');
  await head.startWorker('pc-1', { slots: 2, provides: ['linux'] });
  await head.startWorker('pc-2', { slots: 1 });
  admin = head.adminConfig();
  alice = await head.userConfig('alice');
});

afterAll(async () => {
  await head?.stop();
});

const as = (config: string, ...args: string[]) => head.kestrel([...args, '--config', config]);

describe('kestrel pool', () => {
  it('lists every worker with its profile and state, like condor_status', async () => {
    const result = await as(admin, 'pool');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+STATE\s+OS\s+CORES\s+RAM MB\s+SLOTS\s+RUNNING\s+PROVIDES\s+JID$/,
    );
    expect(lines[1]).toMatch(
      /^pc-1\s+available\s+\S+\s+\d+\s+\d+\s+2\s+0\s+linux\s+pc-1@ops\.test\/pc-1$/,
    );
    expect(lines[2]).toMatch(/^pc-2\s+available\s+.*\s+1\s+0\s+-\s+pc-2@ops\.test\/pc-2$/);
    expect(lines.at(-1)).toBe(
      '2 workers: 2 available, 0 busy, 0 paused, 0 unresponsive, 0 reporting; slots 0/3 in use; tasks 0 queued, 0 running; jobs 0 active, 0 finished',
    );
  });

  it('gives the same as JSON', async () => {
    const result = await as(admin, 'pool', '--json');
    const { counters, workers } = JSON.parse(result.stdout) as {
      counters: Record<string, number>;
      workers: { jid: string; state: string; slots: number; provides: string[] }[];
    };
    expect(counters).toMatchObject({ workers: 2, available: 2, slots: 3 });
    expect(workers.map((w) => [w.jid, w.state, w.slots, w.provides])).toEqual([
      ['pc-1@ops.test/pc-1', 'available', 2, ['linux']],
      ['pc-2@ops.test/pc-2', 'available', 1, []],
    ]);
  });

  it('is for admins only', async () => {
    const result = await as(alice, 'pool');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/manager: pool is for the manager’s admins only/);
  });
});

describe('kestrel why', () => {
  it('says no worker provides a tag a job requires, for its owner', async () => {
    const submitted = await as(
      alice,
      'submit',
      'echo',
      '--queue',
      '4',
      '--requires',
      'GPU',
      '--json',
    );
    const jobId = (JSON.parse(submitted.stdout) as { job_id: number }).job_id;
    const result = await as(alice, 'why', String(jobId));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `job ${jobId}: 4 queued, 0 running; 0 matching workers\n  no worker provides GPU\n`,
    );
    expect(JSON.parse((await as(alice, 'why', String(jobId), '--json')).stdout)).toEqual({
      type: 'why',
      job_id: jobId,
      queued: 4,
      running: 0,
      matching: 0,
      reasons: ['no worker provides GPU'],
    });
    expect((await as(alice, 'cancel', String(jobId))).code).toBe(0);
  });

  it('says a job needs more cores than the largest worker has', async () => {
    const submitted = await as(alice, 'submit', 'echo', '--queue', '1', '--cores', '512', '--json');
    const jobId = (JSON.parse(submitted.stdout) as { job_id: number }).job_id;
    expect((await as(alice, 'why', String(jobId))).stdout).toMatch(
      /\n {2}needs 512 cores; the largest worker has \d+\n$/,
    );
    expect((await as(alice, 'cancel', String(jobId))).code).toBe(0);
  });

  it('refuses someone else’s job and an unknown one', async () => {
    const submitted = await as(
      admin,
      'submit',
      'echo',
      '--queue',
      '1',
      '--requires',
      'none-has-it',
      '--json',
    );
    const jobId = (JSON.parse(submitted.stdout) as { job_id: number }).job_id;
    const theirs = await as(alice, 'why', String(jobId));
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toMatch(`manager: no job ${jobId} of yours`); // as if it did not exist
    expect((await as(admin, 'why', '9999')).stderr).toMatch('manager: no job 9999');
    expect((await as(admin, 'cancel', String(jobId))).code).toBe(0);
  });
});

describe('kestrel purge', () => {
  it('drops finished jobs from the store, for admins only', async () => {
    const done = await as(admin, 'submit', 'true', '--queue', '3', '--wait', '--json');
    expect(done.code).toBe(0);
    const before = JSON.parse((await as(admin, 'status', '--json')).stdout) as { jobs: unknown[] };
    expect(before.jobs.length).toBeGreaterThan(0);

    const refused = await as(alice, 'purge', '--finished-before', '0s');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/purge is for the manager’s admins only/);
    const bad = await as(admin, 'purge', '--finished-before', 'last tuesday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--finished-before must be a date such as 2025-01-31/);

    // Long ago: nothing ended then.
    expect((await as(admin, 'purge', '--finished-before', '2000-01-01')).stdout).toMatch(
      /^purged 0 finished jobs/,
    );
    const purged = await as(admin, 'purge', '--finished-before', '0s');
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(
      /^purged [1-9]\d* finished jobs \(finished before \d{4}-\d\d-\d\dT/,
    );
    const after = JSON.parse((await as(admin, 'status', '--json')).stdout) as { jobs: unknown[] };
    expect(after.jobs, JSON.stringify(after.jobs)).toEqual([]);
    expect((await as(admin, 'pool', '--json')).stdout).toMatch(/"finished_jobs":0/);
  });
});
