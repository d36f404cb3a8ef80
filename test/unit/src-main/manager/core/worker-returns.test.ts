// What a worker's owner decides reaches the scheduler: tasks given back (blocked, or suspended
// too long) run elsewhere without counting as lost, a blocked job never returns to that worker,
// and a profile update mid-session changes capacity without reconciling tasks still in flight.
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../../../../src-main/manager/core/scheduler.ts';
import type {
  Action,
  JobInfo,
  JobSpec,
  TaskDispatch,
  WorkerProfile,
} from '../../../../../src-main/manager/core/types.ts';

const now = () => 1_000;
let nextId = 1;
function job(over: Partial<JobSpec> = {}, owner = 'alice@pool'): JobInfo {
  const spec = { command: 'run.sh', queue: 2, requires: [], cores: 1, ram: 0, retries: 0, ...over };
  return { id: nextId++, owner, replyTo: `${owner}/cli`, spec, submittedAt: 0 };
}
const profile = (over: Partial<WorkerProfile> = {}): WorkerProfile => ({
  os: 'Linux',
  ram: 4096,
  cores: 4,
  provides: [],
  slots: 1,
  ...over,
});
const dispatched = (actions: Action[], worker?: string): TaskDispatch[] =>
  actions.flatMap((a) =>
    a.kind === 'dispatch' && (worker === undefined || a.worker === worker) ? a.tasks : [],
  );
const ref = (t: TaskDispatch) => ({ jobId: t.jobId, index: t.index, attempt: t.attempt });

describe('scheduler: what workers give back', () => {
  it('tells the worker who submitted the job and the job’s timeout', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile(), []);
    const [task] = dispatched(s.submit(job({ timeout: 60 }, 'bob@pool')));
    expect(task).toMatchObject({ owner: 'bob@pool', timeout: 60, attempt: 1 });
  });

  it('requeues a blocked task elsewhere, not as lost, and sends that job there no more', () => {
    const s = createScheduler({ now });
    s.profile('a@pool/a', profile(), []);
    const info = job({ queue: 3 });
    const [first] = dispatched(s.submit(info), 'a@pool/a');
    const returned = s.returned('a@pool/a', [ref(first!)], 'blocked');
    expect(returned).toContainEqual({ kind: 'requeue', task: ref(first!), lost: 0 });
    // Nothing of the job goes back to the worker that refused it, though it has a free slot.
    expect(dispatched(returned, 'a@pool/a')).toEqual([]);
    const moved = dispatched(s.profile('b@pool/b', profile(), []), 'b@pool/b');
    expect(moved).toMatchObject([{ index: first!.index, attempt: 2 }]);
    // Another submitter's job still goes to the worker that refused the first.
    expect(dispatched(s.submit(job({ queue: 1 }, 'carol@pool')), 'a@pool/a')).toHaveLength(1);
  });

  it('requeues a task suspended too long without barring the worker from its job', () => {
    const s = createScheduler({ now });
    s.profile('a@pool/a', profile(), []);
    const [t] = dispatched(s.submit(job({ queue: 1 })), 'a@pool/a');
    // The worker is away (suspended): the task waits for the next free worker.
    s.presence('a@pool/a', true, 'xa');
    const returned = s.returned('a@pool/a', [ref(t!)], 'suspended');
    expect(returned).toEqual([{ kind: 'requeue', task: ref(t!), lost: 0 }]);
    // Back from its pause, the same worker may take it again (a new attempt).
    expect(dispatched(s.presence('a@pool/a', true), 'a@pool/a')).toMatchObject([
      { index: 0, attempt: 2 },
    ]);
  });

  it('ignores a return for an attempt the worker no longer holds', () => {
    const s = createScheduler({ now });
    s.profile('a@pool/a', profile(), []);
    const [t] = dispatched(s.submit(job({ queue: 1 })), 'a@pool/a');
    s.presence('a@pool/a', false);
    s.profile('b@pool/b', profile(), []);
    // The task now runs on b (attempt 2); a's late return of attempt 1 changes nothing.
    expect(s.returned('a@pool/a', [ref(t!)], 'suspended')).toEqual([]);
    expect(s.workers().find((w) => w.jid === 'b@pool/b')?.running.size).toBe(1);
  });

  it('takes a profile update as new capacity without requeueing tasks in flight', () => {
    const s = createScheduler({ now });
    s.profile('a@pool/a', profile({ slots: 1 }), []);
    const [t] = dispatched(s.submit(job({ queue: 4 })), 'a@pool/a');
    // Sent before the worker saw task t: its `running` misses it, and that must not count.
    const more = s.profile('a@pool/a', profile({ slots: 3 }), [], true);
    expect(more.filter((a) => a.kind === 'requeue')).toEqual([]);
    expect(dispatched(more, 'a@pool/a').map((d) => d.index)).toEqual([1, 2]);
    expect(s.workers()[0]?.running.has(t!.jobId * 0x1000000 + t!.index)).toBe(true);
    // Fewer slots: nothing is taken back, nothing new comes until tasks end.
    expect(dispatched(s.profile('a@pool/a', profile({ slots: 1 }), [], true))).toEqual([]);
  });

  it('treats an update from a worker it has no profile for as a full profile', () => {
    const s = createScheduler({ now });
    const actions = s.profile('a@pool/a', profile({ slots: 2 }), [], true);
    expect(actions).toEqual([]);
    expect(dispatched(s.submit(job({ queue: 2 })), 'a@pool/a')).toHaveLength(2);
  });
});
