// The one contract every manager store keeps, run against both backends: SQLite (a file in a
// temp dir) and PostgreSQL (a real server, one per file, a fresh database per test). The manager
// relies on nothing else: what one backend does here, the other does too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Action, JobSpec, TaskResult } from '../../../src-main/manager/core/types.ts';
import { openManagerStore, type ManagerStore } from '../../../src-main/manager/store.ts';
import { usePostgres } from '../../harness/use-postgres.ts';

const postgres = usePostgres();
const dirs: string[] = [];
const open: ManagerStore[] = [];

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Where a store of this kind lives: a new SQLite file, or a new PostgreSQL database. */
const locations = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-store-'));
    dirs.push(dir);
    return join(dir, 'manager.db');
  },
  postgres: () => postgres().createDatabase(),
};

/** Opens the store as the active manager (on PostgreSQL: after winning the election). */
async function openActive(location: string): Promise<ManagerStore> {
  const store = await openManagerStore(location, { name: 'contract' });
  open.push(store);
  await store.election?.win();
  return store;
}

const spec: JobSpec = {
  command: 'run.sh',
  queue: 10,
  requires: ['GPU'],
  cores: 1,
  ram: 0,
  retries: 1,
};
const W = 'w1@pool/a';

function result(index: number, over: Partial<TaskResult> = {}): TaskResult {
  return {
    jobId: 1,
    index,
    attempt: 1,
    exitCode: 0,
    signal: null,
    durationMs: 12.5,
    stdoutTail: `out ${index}\n`,
    stderrTail: '',
    ...over,
  };
}

const dispatch = (jobId: number, ...indexes: number[]): Action => ({
  kind: 'dispatch',
  worker: W,
  tasks: indexes.map((index) => ({
    jobId,
    index,
    attempt: 1,
    command: 'run.sh',
    cores: 1,
    ram: 0,
    owner: 'alice@pool',
  })),
});

describe.each(['sqlite', 'postgres'] as const)('manager store contract (%s)', (kind) => {
  let location: string;
  let store: ManagerStore;

  async function fresh(): Promise<ManagerStore> {
    location = await locations[kind]();
    store = await openActive(location);
    return store;
  }

  it('numbers jobs in order and gives them back with their spec', async () => {
    await fresh();
    const a = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1000);
    const b = await store.insertJob('bob@pool', 'bob@pool/cli', { ...spec, cleanup: 'c.sh' }, 2000);
    expect(b.id).toBeGreaterThan(a.id);
    expect(await store.jobs()).toEqual([
      {
        info: a,
        cancelledAt: undefined,
        finishedAt: undefined,
        counts: undefined,
        notified: false,
      },
      {
        info: b,
        cancelledAt: undefined,
        finishedAt: undefined,
        counts: undefined,
        notified: false,
      },
    ]);
    expect(b.spec.cleanup).toBe('c.sh');
  });

  it('records assignments, results, retries, requeues and give-ups as the scheduler decided', async () => {
    await fresh();
    const job = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1000);
    await store.apply([dispatch(job.id, 0, 1, 2, 3, 4)]);
    expect((await store.openTasks()).map((t) => [t.index, t.state, t.worker])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [i, 'running', W]),
    );
    await store.apply([
      { kind: 'record', worker: W, result: result(0, { jobId: job.id }), outcome: 'done' },
      {
        kind: 'record',
        worker: W,
        result: result(1, { jobId: job.id, exitCode: 3, stderrTail: 'bad\n' }),
        outcome: 'failed',
      },
      {
        kind: 'record',
        worker: W,
        result: result(2, { jobId: job.id, exitCode: null, signal: 'SIGKILL' }),
        outcome: 'retry',
      },
      { kind: 'requeue', task: { jobId: job.id, index: 3, attempt: 1 }, lost: 2 },
      { kind: 'give_up', task: { jobId: job.id, index: 4, attempt: 1 }, reason: 'lost 5 times' },
      { kind: 'ack', worker: W, tasks: [{ jobId: job.id, index: 0, attempt: 1 }] },
    ]);
    expect(await store.task(job.id, 0)).toMatchObject({
      state: 'done',
      worker: W,
      exitCode: 0,
      durationMs: 12.5,
      stdoutTail: 'out 0\n',
      failures: 0,
    });
    expect(await store.task(job.id, 1)).toMatchObject({
      state: 'failed',
      exitCode: 3,
      failures: 1,
    });
    expect(await store.task(job.id, 2)).toMatchObject({
      state: 'queued',
      worker: undefined,
      signal: 'SIGKILL',
      exitCode: null,
      failures: 1,
    });
    expect(await store.task(job.id, 3)).toMatchObject({
      state: 'queued',
      worker: undefined,
      lost: 2,
    });
    expect(await store.task(job.id, 4)).toMatchObject({
      state: 'failed',
      lost: 1,
      error: 'lost 5 times',
    });
    expect(await store.task(job.id, 9)).toBeUndefined();
    // Failures in index order, as many as asked.
    expect((await store.failedTasks(job.id, 10)).map((t) => t.index)).toEqual([1, 4]);
    expect((await store.failedTasks(job.id, 1)).map((t) => t.index)).toEqual([1]);
    // A reassignment takes the row over with its new attempt.
    await store.apply([
      {
        kind: 'dispatch',
        worker: 'w2@pool/b',
        tasks: [
          {
            jobId: job.id,
            index: 2,
            attempt: 2,
            command: 'run.sh',
            cores: 1,
            ram: 0,
            owner: 'alice@pool',
          },
        ],
      },
    ]);
    expect(await store.task(job.id, 2)).toMatchObject({
      state: 'running',
      attempt: 2,
      worker: 'w2@pool/b',
      failures: 1,
    });
  });

  it('ends jobs: finished ones leave the open tasks, and job_finished stays owed until marked', async () => {
    await fresh();
    const done = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1000);
    const open = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1001);
    await store.apply([dispatch(done.id, 0), dispatch(open.id, 0)]);
    const counts = { queued: 0, running: 0, done: 1, failed: 0, cancelled: 9 };
    await store.apply([
      { kind: 'cancel_job', jobId: done.id, at: 5000 },
      { kind: 'job_finished', jobId: done.id, to: done.replyTo, counts, at: 5001 },
    ]);
    expect((await store.openTasks()).map((t) => t.jobId)).toEqual([open.id]);
    const [ended] = await store.unnotifiedJobs();
    expect(ended).toMatchObject({
      info: { id: done.id },
      cancelledAt: 5000,
      finishedAt: 5001,
      counts: { done: 1, failed: 0, cancelled: 9 },
      notified: false,
    });
    await store.markNotified(done.id);
    expect(await store.unnotifiedJobs()).toEqual([]);
    await store.markNotified(done.id, false);
    expect((await store.unnotifiedJobs()).map((j) => j.info.id)).toEqual([done.id]);
  });

  it('applies a batch all or nothing', async () => {
    await fresh();
    const job = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1000);
    const broken: Action = {
      kind: 'dispatch',
      worker: W,
      // An attempt the store cannot hold (NOT NULL): the whole batch must go.
      tasks: [
        {
          jobId: job.id,
          index: 1,
          attempt: Number.NaN,
          command: 'x',
          cores: 1,
          ram: 0,
          owner: 'alice@pool',
        },
      ],
    };
    await expect(store.apply([dispatch(job.id, 0), broken])).rejects.toThrow();
    expect(await store.openTasks()).toEqual([]);
    await store.apply([dispatch(job.id, 0)]);
    expect((await store.openTasks()).map((t) => t.index)).toEqual([0]);
  });

  it('keeps writes in the order they were made, even when nobody waits between them', async () => {
    await fresh();
    const job = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1000);
    const writes = [];
    for (let i = 0; i < 20; i += 1) writes.push(store.markNotified(job.id, i % 2 === 0));
    await Promise.all(writes);
    expect((await store.jobs())[0]?.notified).toBe(false);
  });

  it('stores any output a task made: NUL and broken surrogates become U+FFFD', async () => {
    await fresh();
    const job = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1000);
    await store.apply([dispatch(job.id, 0)]);
    const tail = 'bin\u0000ary \ud800 é ✓ 🙂\n';
    await store.apply([
      {
        kind: 'record',
        worker: W,
        result: result(0, { jobId: job.id, exitCode: 1, stderrTail: tail, error: 'x\u0000y' }),
        outcome: 'failed',
      },
    ]);
    expect(await store.task(job.id, 0)).toMatchObject({
      stderrTail: 'bin\uFFFDary \uFFFD é ✓ 🙂\n',
      error: 'x\uFFFDy',
    });
  });

  it('deletes finished jobs with their tasks', async () => {
    await fresh();
    const a = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1000);
    const b = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1001);
    await store.apply([dispatch(a.id, 0, 1), dispatch(b.id, 0)]);
    expect(await store.deleteJobs([a.id, 999_999])).toBe(1);
    expect((await store.jobs()).map((j) => j.info.id)).toEqual([b.id]);
    expect(await store.task(a.id, 0)).toBeUndefined();
    expect(await store.task(b.id, 0)).toBeDefined();
    expect(await store.deleteJobs([])).toBe(0);
  });

  it('keeps everything across a close and a new open, and close twice is harmless', async () => {
    await fresh();
    const job = await store.insertJob('alice@pool', 'alice@pool/im', spec, 1000);
    await store.apply([dispatch(job.id, 0, 1)]);
    await store.close();
    await store.close();
    const again = await openActive(location);
    expect((await again.jobs()).map((j) => j.info.id)).toEqual([job.id]);
    expect((await again.openTasks()).map((t) => t.index).sort()).toEqual([0, 1]);
    const next = await again.insertJob('alice@pool', 'alice@pool/im', spec, 1002);
    expect(next.id).toBeGreaterThan(job.id);
  });
});
