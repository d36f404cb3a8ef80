import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../../../../src-main/manager/core/scheduler.ts';
import type { Action, JobInfo, TaskRef } from '../../../../../src-main/manager/core/types.ts';
import { MAX_QUEUE } from '../../../../../shared/protocol/limits.ts';

// Cancel and the per-owner views cost what runs and what the owner has, not the queue's size.

const now = () => 1_000;
let nextId = 1;
function job(queue: number, owner = 'alice@pool'): JobInfo {
  const spec = { command: 'run.sh', queue, requires: [], cores: 1, ram: 0, retries: 0 };
  return { id: nextId++, owner, replyTo: `${owner}/cli`, spec, submittedAt: 0 };
}
const profile = (slots: number) => ({ os: 'Linux', ram: 0, cores: 64, provides: [], slots });
const cancelled = (actions: Action[]): TaskRef[] =>
  actions.flatMap((a) => (a.kind === 'cancel_tasks' ? a.tasks : []));

describe('cancel', () => {
  it('cancels jobs of the largest size at once, stopping only the tasks that run', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile(3), []);
    const big = [job(MAX_QUEUE), job(MAX_QUEUE), job(MAX_QUEUE)];
    const started = big.flatMap((info) => s.submit(info));
    expect(started.flatMap((a) => (a.kind === 'dispatch' ? a.tasks : []))).toHaveLength(3);
    const done = s.cancel('alice@pool', undefined, false);
    if (!done.ok) throw new Error('refused');
    expect(done.value.jobIds).toEqual(big.map((j) => j.id));
    expect(done.value.tasks).toBe(3 * MAX_QUEUE);
    expect(cancelled(done.value.actions).map((t) => t.index)).toEqual([0, 1, 2]);
    const finished = done.value.actions.filter((a) => a.kind === 'job_finished');
    expect(finished.map((a) => a.kind === 'job_finished' && a.counts)).toEqual(
      big.map(() => ({ queued: 0, running: 0, done: 0, failed: 0, cancelled: MAX_QUEUE })),
    );
    // The worker's slots are free again, and nothing is left to cancel.
    expect(s.workers()[0]?.running.size).toBe(0);
    expect(s.cancel('alice@pool', undefined, false)).toMatchObject({
      ok: true,
      value: { tasks: 0 },
    });
    expect(s.load('alice@pool')).toEqual({ jobs: 0, tasks: 0 });
  });

  it('counts a running task whose worker is unknown (restored) as cancelled too', () => {
    const s = createScheduler({ now });
    const info = job(3);
    s.restoreJob(info);
    s.restoreTask({ jobId: info.id, index: 1, attempt: 1 }, 'running', 0, 0);
    s.restoreTask({ jobId: info.id, index: 2, attempt: 1 }, 'done', 0, 0);
    const done = s.cancel('alice@pool', info.id, false);
    expect(done).toMatchObject({ ok: true, value: { jobIds: [info.id], tasks: 2 } });
    const found = s.jobs('alice@pool', info.id, false);
    expect(found.ok && found.value[0]?.counts).toEqual({
      queued: 0,
      running: 0,
      done: 1,
      failed: 0,
      cancelled: 2,
    });
  });

  it('does not touch another owner’s running tasks', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile(2), []);
    const mine = job(1, 'alice@pool');
    const theirs = job(1, 'bob@pool');
    s.submit(mine);
    s.submit(theirs);
    const done = s.cancel('alice@pool', undefined, false);
    expect(done.ok && cancelled(done.value.actions)).toEqual([
      { jobId: mine.id, index: 0, attempt: 1 },
    ]);
    expect(s.load('bob@pool')).toEqual({ jobs: 1, tasks: 1 });
  });
});

describe('per-owner views', () => {
  it('lists an owner’s jobs oldest first and counts what they have open', () => {
    const s = createScheduler({ now });
    const a = job(10, 'carol@pool');
    const b = job(5, 'carol@pool');
    s.submit(a);
    s.submit(job(7, 'dave@pool'));
    s.submit(b);
    const all = s.jobs('carol@pool', undefined, false);
    expect(all.ok && all.value.map((j) => j.info.id)).toEqual([a.id, b.id]);
    expect(s.load('carol@pool')).toEqual({ jobs: 2, tasks: 15 });
    s.cancel('carol@pool', a.id, false);
    expect(s.load('carol@pool')).toEqual({ jobs: 1, tasks: 5 });
    // Ended jobs are still listed by status.
    const after = s.jobs('carol@pool', undefined, false);
    expect(after.ok && after.value).toHaveLength(2);
  });

  it('answers for someone else’s job exactly as for one that does not exist', () => {
    const s = createScheduler({ now });
    const info = job(1, 'alice@pool');
    s.submit(info);
    expect(s.jobs('mallory@pool', info.id, false)).toEqual(s.jobs('mallory@pool', 99999, false));
    expect(s.jobs('admin@pool', info.id, true)).toMatchObject({ ok: true });
  });
});
