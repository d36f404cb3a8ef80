// The slots rule and prefetch (docs/PROTOCOL.md, "Slots and cores", "Prefetch"): how many tasks
// a worker is handed at once, and the tasks it holds ahead of a free slot.
import { describe, expect, it } from 'vitest';
import { shownCounts } from '../../../../../src-main/manager/core/job-tasks.ts';
import { createScheduler, type Scheduler } from '../../../../../src-main/manager/core/scheduler.ts';
import type {
  Action,
  JobInfo,
  JobSpec,
  TaskDispatch,
  TaskResult,
  WorkerProfile,
} from '../../../../../src-main/manager/core/types.ts';
import { MAX_AHEAD } from '../../../../../src-main/manager/core/workers.ts';

const now = () => 1_000;
let nextId = 1;

function job(over: Partial<JobSpec> = {}): JobInfo {
  const spec: JobSpec = {
    command: 'run.sh',
    queue: 100,
    requires: [],
    ram: 0,
    retries: 0,
    ...over,
  };
  return { id: nextId++, owner: 'alice@pool', replyTo: 'alice@pool/cli', spec, submittedAt: 1 };
}

function profile(over: Partial<WorkerProfile> = {}): WorkerProfile {
  return { os: 'Linux', ram: 4096, cores: 2, provides: [], slots: 2, ...over };
}

const dispatched = (actions: Action[], worker?: string): TaskDispatch[] =>
  actions.flatMap((a) =>
    a.kind === 'dispatch' && (worker === undefined || a.worker === worker) ? a.tasks : [],
  );

const done = (t: TaskDispatch): TaskResult => ({
  ...t,
  exitCode: 0,
  signal: null,
  durationMs: 1,
  stdoutTail: '',
  stderrTail: '',
});

function counts(s: Scheduler, jobId: number) {
  const found = s.job(jobId);
  if (!found) throw new Error(`no job ${jobId}`);
  return shownCounts(found);
}

describe('slots and cores', () => {
  // worker (slots, cores, ram MB) × what the job asks → tasks it runs at once
  it.each([
    ['20 slots on 2 cores, a job that asks nothing', { slots: 20, cores: 2 }, {}, 20],
    ['20 slots on 2 cores, a job asking 1 core a task', { slots: 20, cores: 2 }, { cores: 1 }, 2],
    ['2 slots on 8 cores, 1 core a task', { slots: 2, cores: 8 }, { cores: 1 }, 2],
    ['4 slots on 4 cores, 2 cores a task', { slots: 4, cores: 4 }, { cores: 2 }, 2],
    ['1 slot on 16 cores, 4 cores a task', { slots: 1, cores: 16 }, { cores: 4 }, 1],
    ['4 slots on 2 cores, 4 cores a task: never', { slots: 4, cores: 2 }, { cores: 4 }, 0],
    ['20 slots, 1000 MB, 300 MB a task', { slots: 20, cores: 2, ram: 1000 }, { ram: 300 }, 3],
    ['3 slots on 1 core, a job that asks nothing', { slots: 3, cores: 1 }, {}, 3],
    [
      '8 slots on 4 cores and 4000 MB, 1 core and 1500 MB a task',
      { slots: 8, cores: 4, ram: 4000 },
      { cores: 1, ram: 1500 },
      2,
    ],
  ] as const)('%s: %#', (_name, worker, asks, atOnce) => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile(worker), []);
    expect(dispatched(s.submit(job(asks)))).toHaveLength(atOnce);
  });

  it('a slot-only job fills the slots a cores job leaves, and each is held to its own rule', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 6, cores: 4 }), []);
    expect(dispatched(s.submit(job({ cores: 2 })))).toHaveLength(2);
    expect(dispatched(s.submit(job()))).toHaveLength(4);
  });
});

describe('prefetch', () => {
  // worker (slots, prefetch) × what the job asks → tasks handed out at once (running + ahead)
  it.each([
    ['no prefetch offered: its free slots only', { slots: 2 }, {}, 2],
    ['prefetch 2 on 2 slots', { slots: 2, prefetch: 2 }, {}, 4],
    ['prefetch 0 on 2 slots', { slots: 2, prefetch: 0 }, {}, 2],
    [`prefetch 500: at most MAX_AHEAD ahead`, { slots: 2, prefetch: 500 }, {}, 2 + MAX_AHEAD],
    ['a job that asks for cores is never sent ahead', { slots: 2, prefetch: 2 }, { cores: 1 }, 2],
    ['nor one that asks for ram', { slots: 2, prefetch: 2 }, { ram: 100 }, 2],
  ] as const)('%s', (_name, worker, asks, handedOut) => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile(worker), []);
    expect(dispatched(s.submit(job(asks)))).toHaveLength(handedOut);
  });

  it('counts tasks held ahead as queued, and starts the oldest of them when a slot frees', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 2, prefetch: 2 }), []);
    const info = job({ queue: 10 });
    const first = dispatched(s.submit(info));
    expect(first.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(counts(s, info.id)).toMatchObject({ running: 2, queued: 8 });
    // Task 0 ends: the worker starts task 2 in its slot; one more goes ahead.
    const next = dispatched(s.results('w@pool/a', [done(first[0]!)]));
    expect(next.map((t) => t.index)).toEqual([4]);
    expect(counts(s, info.id)).toMatchObject({ done: 1, running: 2, queued: 7 });
  });

  it('fills every worker’s free slots before it sends any task ahead', () => {
    const s = createScheduler({ now });
    s.profile('w1@pool/a', profile({ slots: 1, prefetch: 1 }), []);
    s.profile('w2@pool/a', profile({ slots: 1, prefetch: 1 }), []);
    const actions = s.submit(job({ queue: 3 }));
    expect(dispatched(actions, 'w1@pool/a')).toHaveLength(2);
    expect(dispatched(actions, 'w2@pool/a')).toHaveLength(1);
  });

  it('requeues the tasks a vanished worker held ahead with its running ones; each index is done once', () => {
    const s = createScheduler({ now });
    s.profile('w1@pool/a', profile({ slots: 2, prefetch: 2 }), []);
    const info = job({ queue: 6 });
    const held = dispatched(s.submit(info));
    expect(held).toHaveLength(4);
    const joined = dispatched(s.profile('w2@pool/a', profile({ slots: 2, prefetch: 2 }), []));
    expect(joined.map((t) => t.index)).toEqual([4, 5]);
    const gone = s.presence('w1@pool/a', false);
    expect(gone.filter((a) => a.kind === 'requeue')).toHaveLength(4);
    const recorded = new Map<number, number>();
    let batch = [...joined, ...dispatched(gone, 'w2@pool/a')];
    while (batch.length > 0) {
      const actions = s.results('w2@pool/a', batch.map(done));
      for (const a of actions)
        if (a.kind === 'record')
          recorded.set(a.result.index, (recorded.get(a.result.index) ?? 0) + 1);
      batch = dispatched(actions, 'w2@pool/a');
    }
    expect([...recorded.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...recorded.values()].every((n) => n === 1)).toBe(true);
    expect(counts(s, info.id)).toMatchObject({ done: 6, running: 0, queued: 0 });
    expect(s.job(info.id)?.finishedAt).toBeDefined();
  });

  it('reconciles a profile that lists the tasks held ahead: none is lost or taken back', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 1, prefetch: 1 }), []);
    const info = job({ queue: 5 });
    const held = dispatched(s.submit(info));
    const refs = held.map(({ jobId, index, attempt }) => ({ jobId, index, attempt }));
    const again = s.profile('w@pool/a', profile({ slots: 1, prefetch: 1 }), refs);
    expect(again.map((a) => a.kind)).toEqual([]);
    expect(counts(s, info.id)).toMatchObject({ running: 1, queued: 4 });
  });

  it('cancels the tasks held ahead on their worker with the running ones', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 1, prefetch: 2 }), []);
    const info = job({ queue: 5 });
    dispatched(s.submit(info));
    const result = s.cancel('alice@pool', info.id, false);
    if (!result.ok) throw new Error('cancel refused');
    const stopped = result.value.actions.flatMap((a) => (a.kind === 'cancel_tasks' ? a.tasks : []));
    expect(stopped.map((t) => t.index)).toEqual([0, 1, 2]);
  });

  it('requeues a returned task held ahead without counting it lost', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 1, prefetch: 1 }), []);
    const info = job({ queue: 2 });
    const [, ahead] = dispatched(s.submit(info));
    const actions = s.returned('w@pool/a', [ahead!], 'suspended');
    expect(actions).toContainEqual({
      kind: 'requeue',
      task: expect.objectContaining({ index: 1 }),
      lost: 0,
    });
    // It goes back ahead of the worker's slot, as a new attempt.
    expect(dispatched(actions).map((t) => [t.index, t.attempt])).toEqual([[1, 2]]);
    expect(counts(s, info.id)).toMatchObject({ running: 1, queued: 1 });
  });

  it('starts tasks held ahead when a profile update gives the worker more slots', () => {
    const s = createScheduler({ now });
    s.profile('w@pool/a', profile({ slots: 1, prefetch: 2 }), []);
    const info = job({ queue: 10 });
    const held = dispatched(s.submit(info));
    expect(held).toHaveLength(3);
    const refs = held.map(({ jobId, index, attempt }) => ({ jobId, index, attempt }));
    const more = s.profile('w@pool/a', profile({ slots: 3, prefetch: 2 }), refs, true);
    expect(dispatched(more)).toHaveLength(2);
    expect(counts(s, info.id)).toMatchObject({ running: 3, queued: 7 });
  });
});
