import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../../../../src-main/manager/core/scheduler.ts';
import type {
  Action,
  JobInfo,
  JobSpec,
  TaskDispatch,
  TaskResult,
  WorkerProfile,
} from '../../../../../src-main/manager/core/types.ts';

let clock = 1_000;
const now = () => clock;

function spec(over: Partial<JobSpec> = {}): JobSpec {
  return { command: 'run.sh', queue: 4, requires: [], cores: 1, ram: 0, retries: 0, ...over };
}

let nextId = 1;
function job(over: Partial<JobSpec> = {}, owner = 'alice@pool'): JobInfo {
  return { id: nextId++, owner, replyTo: `${owner}/cli`, spec: spec(over), submittedAt: clock };
}

function profile(over: Partial<WorkerProfile> = {}): WorkerProfile {
  return { os: 'Linux', ram: 4096, cores: 2, provides: [], slots: 2, ...over };
}

function dispatched(actions: Action[], worker?: string): TaskDispatch[] {
  return actions.flatMap((a) =>
    a.kind === 'dispatch' && (worker === undefined || a.worker === worker) ? a.tasks : [],
  );
}

function result(t: TaskDispatch, exitCode = 0): TaskResult {
  return { ...t, exitCode, signal: null, durationMs: 5, stdoutTail: '', stderrTail: '' };
}

function kinds(actions: Action[]): string[] {
  return actions.map((a) => a.kind);
}

describe('scheduler', () => {
  it('after the manager reconnects, hands a worker nothing new until its profile', () => {
    const s = createScheduler({ now });
    s.profile('w1@pool/a', profile({ slots: 1 }), []);
    const [first] = dispatched(s.submit(job({ queue: 3 })));
    s.expectReports();
    // The worker reports its result first, then its profile (docs/PROTOCOL.md, reconnection).
    const afterResult = s.results('w1@pool/a', [result(first!)]);
    expect(kinds(afterResult)).toEqual(['record', 'ack']);
    const afterProfile = s.profile('w1@pool/a', profile({ slots: 1 }), []);
    expect(kinds(afterProfile)).toEqual(['dispatch']);
    expect(dispatched(afterProfile).map((t) => t.index)).toEqual([1]);
  });

  it('hands out no more tasks than a worker has slots, and the rest as slots free up', () => {
    const s = createScheduler({ now });
    s.profile('w1@pool/a', profile({ slots: 2, cores: 4 }), []);
    const info = job({ queue: 5 });
    const first = dispatched(s.submit(info));
    expect(first.map((t) => t.index)).toEqual([0, 1]);
    const next = dispatched(s.results('w1@pool/a', [result(first[0]!)]));
    expect(next.map((t) => t.index)).toEqual([2]);
  });

  it('sends a job that requires tags only to workers that provide all of them', () => {
    const s = createScheduler({ now });
    s.profile('plain@pool/a', profile(), []);
    s.profile('gpu@pool/a', profile({ provides: ['GPU', 'CUDA'] }), []);
    const actions = s.submit(job({ queue: 3, requires: ['GPU', 'CUDA'] }));
    expect(dispatched(actions, 'plain@pool/a')).toHaveLength(0);
    expect(dispatched(actions, 'gpu@pool/a')).toHaveLength(2);
  });

  it('respects cores and ram: a 2-core task takes two cores of a 4-core worker', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 4, cores: 4, ram: 1000 }), []);
    expect(dispatched(s.submit(job({ queue: 10, cores: 2 })))).toHaveLength(2);
    const s2 = createScheduler({ now });
    s2.profile('w@pool/a', profile({ slots: 4, cores: 4, ram: 1000 }), []);
    expect(dispatched(s2.submit(job({ queue: 10, ram: 400 })))).toHaveLength(2);
  });

  it('gives no work to a worker whose presence is away or dnd, and resumes when it is available', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile(), []);
    s.presence('w@pool/a', true, 'away');
    expect(dispatched(s.submit(job()))).toHaveLength(0);
    expect(dispatched(s.presence('w@pool/a', true))).toHaveLength(2);
  });

  it('records each task once and finishes the job once', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 4 }), []);
    const tasks = dispatched(s.submit(job({ queue: 2 })));
    const first = s.results('w@pool/a', [result(tasks[0]!)]);
    expect(kinds(first)).toEqual(['record', 'ack']);
    const again = s.results('w@pool/a', [result(tasks[0]!)]);
    expect(kinds(again)).toEqual(['ack']);
    const last = s.results('w@pool/a', [result(tasks[1]!)]);
    const finished = last.filter((a) => a.kind === 'job_finished');
    expect(finished).toEqual([
      {
        kind: 'job_finished',
        jobId: tasks[0]!.jobId,
        to: 'alice@pool/cli',
        counts: { queued: 0, running: 0, done: 2, failed: 0, cancelled: 0 },
        at: clock,
      },
    ]);
    expect(
      s.results('w@pool/a', [result(tasks[1]!)]).filter((a) => a.kind === 'job_finished'),
    ).toEqual([]);
  });

  it('retries a non-zero exit with a new attempt, then counts it failed', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 1 }), []);
    const [t1] = dispatched(s.submit(job({ queue: 1, retries: 1 })));
    const retry = s.results('w@pool/a', [result(t1!, 3)]);
    expect(retry.find((a) => a.kind === 'record')).toMatchObject({ outcome: 'retry' });
    const [t2] = dispatched(retry);
    expect(t2).toMatchObject({ index: 0, attempt: 2 });
    const end = s.results('w@pool/a', [result(t2!, 3)]);
    expect(end.find((a) => a.kind === 'record')).toMatchObject({ outcome: 'failed' });
    expect(end.find((a) => a.kind === 'job_finished')).toMatchObject({
      counts: { done: 0, failed: 1 },
    });
  });

  it('requeues the tasks of a worker that goes unavailable and runs them elsewhere', () => {
    const s = createScheduler({ now });
    s.profile('w1@pool/a', profile({ slots: 2 }), []);
    const tasks = dispatched(s.submit(job({ queue: 2 })));
    s.profile('w2@pool/a', profile({ slots: 2 }), []);
    const gone = s.presence('w1@pool/a', false);
    expect(kinds(gone)).toEqual(['requeue', 'requeue', 'dispatch']);
    expect(dispatched(gone, 'w2@pool/a').map((t) => [t.index, t.attempt])).toEqual([
      [1, 2],
      [0, 2],
    ]);
    expect(tasks).toHaveLength(2);
  });

  it('accepts a late success from a former holder and stops the task where it runs now', () => {
    const s = createScheduler({ now });
    s.profile('w1@pool/a', profile({ slots: 1 }), []);
    const [t] = dispatched(s.submit(job({ queue: 1 })));
    s.profile('w2@pool/a', profile({ slots: 1 }), []);
    const moved = s.unresponsive('w1@pool/a');
    expect(dispatched(moved, 'w2@pool/a')).toHaveLength(1);
    const late = s.results('w1@pool/a', [result(t!)]);
    expect(kinds(late)).toEqual(['cancel_tasks', 'record', 'ack', 'job_finished']);
    expect(late[0]).toMatchObject({ worker: 'w2@pool/a' });
  });

  it('acks but never records a result from a worker that never held the task', () => {
    const s = createScheduler({ now });
    s.profile('w1@pool/a', profile({ slots: 1 }), []);
    const [t] = dispatched(s.submit(job({ queue: 1 })));
    expect(kinds(s.results('intruder@pool/x', [result(t!)]))).toEqual(['ack']);
    expect(s.jobs('alice@pool', undefined, false)).toMatchObject({ ok: true });
  });

  it('fails a task lost too many times instead of requeueing it forever', () => {
    const s = createScheduler({ now, maxLost: 2 });
    s.profile('w1@pool/a', profile({ slots: 1 }), []);
    s.submit(job({ queue: 1 }));
    s.profile('w2@pool/a', profile({ slots: 1 }), []);
    expect(kinds(s.presence('w1@pool/a', false))).toEqual(['requeue', 'dispatch']);
    const end = s.presence('w2@pool/a', false);
    expect(kinds(end)).toEqual(['give_up', 'job_finished']);
  });

  it('reconciles a profile: requeues what the worker lacks and cancels what it should not run', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 2 }), []);
    const [a, b] = dispatched(s.submit(job({ queue: 2 })));
    const stray = { jobId: 999, index: 0, attempt: 1 };
    const out = s.profile('w@pool/a', profile({ slots: 2 }), [a!, stray]);
    expect(out.find((x) => x.kind === 'requeue')).toMatchObject({ task: { index: b!.index } });
    expect(out.find((x) => x.kind === 'cancel_tasks')).toMatchObject({ tasks: [stray] });
    expect(dispatched(out, 'w@pool/a').map((t) => t.index)).toEqual([b!.index]);
  });

  it('cancels only the owner’s jobs and kills running tasks on their workers', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 1 }), []);
    const info = job({ queue: 3 });
    s.submit(info);
    // Someone else's job looks exactly like one that does not exist.
    expect(s.cancel('mallory@pool', info.id, false)).toEqual({ ok: false, code: 'unknown_job' });
    expect(s.cancel('alice@pool', 12345, false)).toEqual({ ok: false, code: 'unknown_job' });
    const done = s.cancel('alice@pool', info.id, false);
    if (!done.ok) throw new Error('cancel refused');
    expect(done.value.jobIds).toEqual([info.id]);
    expect(done.value.tasks).toBe(3);
    expect(kinds(done.value.actions)).toEqual(['cancel_job', 'cancel_tasks', 'job_finished']);
  });

  it('restores after a restart and requeues tasks of workers that never come back', () => {
    const s = createScheduler({ now, restoreGraceMs: 100 });
    const info = job({ queue: 3 });
    s.restoreJob(info);
    s.restoreTask({ jobId: info.id, index: 0, attempt: 1 }, 'done', 0, 0);
    s.restoreTask({ jobId: info.id, index: 1, attempt: 1 }, 'running', 0, 0, 'gone@pool/a');
    expect(s.finishRestore()).toEqual([]);
    s.profile('w@pool/a', profile({ slots: 4 }), []);
    const t = s.jobs('alice@pool', info.id, false);
    expect(t.ok && t.value[0]!.counts).toMatchObject({ done: 1, running: 2, queued: 0 });
    clock += 200;
    const late = s.tick();
    expect(kinds(late)).toEqual(['requeue', 'dispatch']);
    expect(dispatched(late).map((x) => [x.index, x.attempt])).toEqual([[1, 2]]);
  });
});
