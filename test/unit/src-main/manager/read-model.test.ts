import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvent, ApiHandlers } from '../../../../shared/api.ts';
import { dispatch } from '../../../../src-main/api/dispatch.ts';
import { silentLogger } from '../../../../src-main/common/log.ts';
import { createAccessPolicy } from '../../../../src-main/manager/access.ts';
import { createScheduler, type Scheduler } from '../../../../src-main/manager/core/scheduler.ts';
import type {
  Action,
  TaskDispatch,
  WorkerProfile,
} from '../../../../src-main/manager/core/types.ts';
import { createManagerApi, type ManagerApi } from '../../../../src-main/manager/manager-api.ts';
import { createOpsCommands } from '../../../../src-main/manager/ops-commands.ts';
import {
  decodeUserReply,
  MAX_POOL_LISTED,
  MAX_WORKER_BODY,
  type PoolReply,
} from '../../../../shared/protocol/index.ts';
import type { Outbox } from '../../../../src-main/manager/outbox.ts';
import { observeScheduler } from '../../../../src-main/manager/read/activity.ts';
import { createChangeFeed } from '../../../../src-main/manager/read/change-feed.ts';
import { createReadModel } from '../../../../src-main/manager/read/read-model.ts';
import { openManagerStore, type ManagerStore } from '../../../../src-main/manager/store.ts';

// The read model over a real scheduler and a real (in-memory) SQLite store; the outbox applies
// actions at once instead of on the next turn, and the change feed's timer is driven by hand.

const ADMIN = 'admin@pool/ui';
let clock: number;
let store: ManagerStore;
let scheduler: Scheduler;
let api: ManagerApi;
let timers: { fn: () => void; ms: number }[];
const sent: Action[] = [];

const profile = (over: Partial<WorkerProfile> = {}): WorkerProfile => ({
  os: 'Linux',
  ram: 4096,
  cores: 4,
  provides: [],
  slots: 2,
  ...over,
});

beforeEach(async () => {
  clock = 1_700_000_000_000;
  sent.length = 0;
  const now = () => clock;
  store = await openManagerStore(':memory:');
  const observed = observeScheduler(createScheduler({ now }), now);
  scheduler = observed.scheduler;
  const outbox: Outbox = {
    async push(actions) {
      await store.apply(actions);
      sent.push(...actions);
      return true;
    },
    async flush() {},
  };
  const read = createReadModel({ scheduler, store, activity: observed.activity, now });
  timers = [];
  const feed = createChangeFeed({
    activity: observed.activity,
    read,
    now,
    schedule: (fn, ms) => {
      const timer = { fn, ms };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
  });
  const access = createAccessPolicy({ domain: 'pool', admins: ['admin@pool'] });
  api = createManagerApi({ scheduler, store, access, outbox, now, read, feed });
});

afterEach(() => store.close());

const as = (jid: string, admin = false): ApiHandlers => api.handlers({ jid, admin });
const admin = () => as(ADMIN, true);

async function submit(
  handlers: ApiHandlers,
  input: Parameters<NonNullable<ApiHandlers['jobs:submit']>>[0],
) {
  return (await handlers['jobs:submit']!(input)).jobId;
}

function dispatchedTo(worker: string): TaskDispatch[] {
  return sent.flatMap((a) => (a.kind === 'dispatch' && a.worker === worker ? a.tasks : []));
}

function finish(worker: string, tasks: TaskDispatch[], exitCode = 0, stderrTail = '') {
  return store.apply(
    scheduler.results(
      worker,
      tasks.map((t) => ({
        ...t,
        exitCode,
        signal: null,
        durationMs: 5,
        stdoutTail: 'out',
        stderrTail,
      })),
    ),
  );
}

describe('jobs', () => {
  it('lists the newest first, page by page, and each person sees only their own', async () => {
    const alice = as('alice@pool/web');
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push(await submit(alice, { command: 'run.sh', queue: 3 }));
    await submit(as('bob@pool/web'), { command: 'other.sh', queue: 1 });

    const first = await alice['jobs:list']!({ limit: 2 });
    expect(first.items.map((j) => j.jobId)).toEqual([ids[4], ids[3]]);
    expect(first).toMatchObject({ total: 5, offset: 0, next: '2' });
    const last = await alice['jobs:list']!({ after: '4', limit: 2 });
    expect(last.items.map((j) => j.jobId)).toEqual([ids[0]]);
    expect(last.next).toBeUndefined();
    expect((await admin()['jobs:list']!({})).total).toBe(6);
    // Someone else's job and one that does not exist look the same: ids tell nothing.
    await expect(as('bob@pool/web')['jobs:get']!({ jobId: ids[0]! })).rejects.toMatchObject({
      code: 'unknown_job',
      message: `no job ${ids[0]} of yours`,
    });
    await expect(alice['jobs:get']!({ jobId: 999 })).rejects.toMatchObject({
      code: 'unknown_job',
      message: 'no job 999 of yours',
    });
  });

  it('shows a job with its failed tasks’ exit codes and output tails, and why the rest waits', async () => {
    scheduler.profile('w1@pool/a', profile({ slots: 2 }), []);
    const jobId = await submit(admin(), { command: 'run.sh', queue: 4 });
    const [t0, t1] = dispatchedTo('w1@pool/a');
    await finish('w1@pool/a', [t0!]);
    await finish('w1@pool/a', [t1!], 3, 'input.1 not found\n');
    scheduler.presence('w1@pool/a', true, 'away');

    const detail = await admin()['jobs:get']!({ jobId });
    expect(detail.counts).toEqual({ queued: 0, running: 2, done: 1, failed: 1, cancelled: 0 });
    expect(detail.failures).toEqual([
      { index: 1, exitCode: 3, signal: null, stderrTail: 'input.1 not found\n', stdoutTail: 'out' },
    ]);
    expect(detail).toMatchObject({ requires: [], ram: 0, retries: 0, state: 'running' });
    expect(detail.cores, 'the job asked for no cores').toBeUndefined();
  });

  it('says why a job that requires a tag nobody provides waits, in the list and on its own', async () => {
    scheduler.profile('w1@pool/a', profile({ provides: ['linux'] }), []);
    const jobId = await submit(admin(), { command: 'gpu.sh', queue: 2, requires: ['GPU'] });
    const [summary] = (await admin()['jobs:list']!({})).items;
    expect(summary?.waiting).toBe('no worker provides GPU');
    expect(await admin()['jobs:why']!({ jobId })).toEqual({
      jobId,
      queued: 2,
      running: 0,
      matching: 0,
      reasons: ['no worker provides GPU'],
    });
  });

  it('answers for a job of a million tasks from its counters, with at most 20 failures', async () => {
    scheduler.profile('w1@pool/a', profile({ slots: 50, cores: 64 }), []);
    const jobId = await submit(admin(), { command: 'big.sh', queue: 1_000_000 });
    const tasks = dispatchedTo('w1@pool/a');
    await finish('w1@pool/a', tasks.slice(0, 25), 1, 'boom\n');
    const detail = await admin()['jobs:get']!({ jobId });
    expect(detail.counts).toMatchObject({ failed: 25, running: 50, queued: 999_925 });
    expect(detail.failures).toHaveLength(20);
    expect(detail.failures.map((f) => f.index)).toEqual(tasks.slice(0, 20).map((t) => t.index));
    expect(detail.why).toMatchObject({ reasons: ['the one matching worker is busy'], matching: 1 });
  });

  it('cancels a job: every task not ended counts as cancelled', async () => {
    scheduler.profile('w1@pool/a', profile(), []);
    const jobId = await submit(admin(), { command: 'run.sh', queue: 5 });
    expect(await admin()['jobs:cancel']!({ jobId })).toEqual({ jobIds: [jobId], tasks: 5 });
    const detail = await admin()['jobs:get']!({ jobId });
    expect(detail).toMatchObject({ state: 'cancelled', counts: { cancelled: 5 } });
  });

  it('purges finished jobs before a time from memory and the store; admins only', async () => {
    scheduler.profile('w1@pool/a', profile({ slots: 4 }), []);
    const old = await submit(admin(), { command: 'a.sh', queue: 1 });
    await finish('w1@pool/a', dispatchedTo('w1@pool/a'));
    clock += 60_000;
    const running = await submit(admin(), { command: 'b.sh', queue: 100 });
    await expect(
      as('alice@pool/web')['jobs:purge']!({ finishedBefore: clock }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect(await admin()['jobs:purge']!({ finishedBefore: clock })).toEqual({ jobs: 1 });
    expect((await admin()['jobs:list']!({})).items.map((j) => j.jobId)).toEqual([running]);
    expect((await store.jobs()).map((j) => j.info.id)).toEqual([running]);
    expect(await store.task(old, 0)).toBeUndefined();
    // Gone from status too, which lists the owner's jobs from the scheduler's own index.
    const owner = scheduler.jobs('admin@pool', undefined, true);
    expect(owner.ok && owner.value.map((j) => j.info.id)).toEqual([running]);
  });
});

describe('pool', () => {
  it('shows each worker with its profile, state and current tasks, sorted and paged', async () => {
    scheduler.profile('b@pool/busy', profile({ slots: 1, provides: ['GPU'] }), []);
    scheduler.profile('a@pool/free', profile({ slots: 4 }), []);
    scheduler.profile('c@pool/away', profile(), []);
    scheduler.presence('c@pool/away', true, 'xa');
    scheduler.presence('d@pool/new', true);
    scheduler.profile('e@pool/frozen', profile({ cores: 16 }), []);
    scheduler.unresponsive('e@pool/frozen');
    const jobId = await submit(admin(), { command: 'gpu.sh', queue: 3, requires: ['GPU'] });

    const page = await admin()['pool:workers']!({});
    expect(page.items.map((w) => [w.name, w.state])).toEqual([
      ['free', 'available'],
      ['busy', 'busy'],
      ['away', 'paused'],
      ['new', 'reporting'],
      ['frozen', 'unresponsive'],
    ]);
    expect(page.items[1]).toMatchObject({
      jid: 'b@pool/busy',
      os: 'Linux',
      cores: 4,
      provides: ['GPU'],
      running: [{ jobId, index: 0 }],
      runningCount: 1,
    });
    expect(page.items[4]).toMatchObject({ cores: 16, running: [] });
    expect((await admin()['pool:workers']!({ search: 'gpu' })).items.map((w) => w.name)).toEqual([
      'busy',
    ]);
    expect(await admin()['pool:workers']!({ after: '3', limit: 1 })).toMatchObject({
      total: 5,
      offset: 3,
      next: '4',
    });

    const { counters } = await admin()['pool:summary']!();
    expect(counters).toEqual({
      workers: { available: 1, busy: 1, paused: 1, unresponsive: 1, reporting: 1, total: 5 },
      slots: { total: 1 + 4 + 2, used: 1 },
      tasks: { queued: 2, running: 1 },
      jobs: { active: 1, finished: 0 },
    });
    await expect(as('alice@pool/web')['pool:summary']!()).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('shows a worker free again once it gave its tasks back (a volunteer blocked their submitter)', async () => {
    scheduler.profile('w1@pool/desk', profile({ slots: 2 }), []);
    await submit(admin(), { command: 'sleep 600', queue: 2 });
    expect((await admin()['pool:workers']!({})).items[0]).toMatchObject({
      state: 'busy',
      runningCount: 2,
    });
    const held = dispatchedTo('w1@pool/desk').map(({ jobId, index, attempt }) => ({
      jobId,
      index,
      attempt,
    }));
    store.apply(scheduler.returned('w1@pool/desk', held, 'blocked'));
    expect((await admin()['pool:workers']!({})).items[0]).toMatchObject({
      state: 'available',
      running: [],
      runningCount: 0,
    });
    expect((await admin()['pool:summary']!()).counters.tasks).toEqual({ queued: 2, running: 0 });
  });

  it('counts tasks that ended in the throughput of the current interval', async () => {
    scheduler.profile('w1@pool/a', profile({ slots: 3 }), []);
    await submit(admin(), { command: 'run.sh', queue: 3 });
    const [a, b, c] = dispatchedTo('w1@pool/a');
    await finish('w1@pool/a', [a!, b!]);
    await finish('w1@pool/a', [c!], 1);
    const { throughput } = await admin()['pool:summary']!();
    expect(throughput).toHaveLength(60);
    expect(throughput.at(-1)).toMatchObject({ done: 2, failed: 1 });
    expect(throughput.slice(0, -1).every((p) => p.done === 0 && p.failed === 0)).toBe(true);
  });
});

describe('change feed', () => {
  it('coalesces a burst into one jobs:changed per flush and at most one pool:changed a second', async () => {
    const events: [ApiEvent, unknown][] = [];
    const stop = api.feed.subscribe((event, payload) => events.push([event, payload]));
    scheduler.profile('w1@pool/a', profile({ slots: 10, cores: 16 }), []);
    const jobId = await submit(admin(), { command: 'run.sh', queue: 10 });
    for (const t of dispatchedTo('w1@pool/a')) await finish('w1@pool/a', [t]);
    expect(timers).toHaveLength(1); // eleven scheduler events, one flush pending
    timers.shift()!.fn();
    expect(events.map(([e]) => e)).toEqual(['jobs:changed', 'jobs:finished', 'pool:changed']);
    expect(events[0]![1]).toMatchObject({ jobs: [{ jobId, state: 'finished' }] });
    expect(events[1]![1]).toEqual({
      jobId,
      counts: { queued: 0, running: 0, done: 10, failed: 0, cancelled: 0 },
    });

    // Another change within the second: jobs at the next flush, the pool only a second after the last.
    events.length = 0;
    scheduler.presence('w1@pool/a', true, 'away');
    timers.shift()!.fn();
    expect(events).toEqual([]);
    expect(timers).toEqual([expect.objectContaining({ ms: 1000 })]);
    clock += 1000;
    timers.shift()!.fn();
    expect(events.map(([e]) => e)).toEqual(['pool:changed']);
    stop();
  });

  it('gathers nothing while nobody listens', async () => {
    await submit(admin(), { command: 'run.sh', queue: 1 });
    expect(timers).toEqual([]);
  });
});

describe('dispatch', () => {
  it('checks arguments by the chat protocol’s rules before a handler sees them', async () => {
    const reply = await dispatch(
      admin(),
      'jobs:submit',
      [{ command: 'x', queue: -5 }],
      silentLogger,
    );
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'invalid_field',
        message: "field 'queue' must be a whole number from 1 to 10000000 (got -5)",
      },
    });
    expect(
      await dispatch(
        admin(),
        'jobs:submit',
        [{ command: 'x', queue: 1, requries: [] }],
        silentLogger,
      ),
    ).toMatchObject({
      ok: false,
      error: { message: "unknown field 'requries' (did you mean 'requires'?)" },
    });
    expect(await dispatch(admin(), 'jobs:get', {}, silentLogger)).toMatchObject({
      error: { code: 'invalid_field', message: 'arguments must be a list' },
    });
    expect(await dispatch(admin(), 'jobs:nope', [], silentLogger)).toMatchObject({
      error: { code: 'unknown_method' },
    });
    expect(await dispatch(admin(), 'volunteer:pause', [], silentLogger)).toMatchObject({
      error: { code: 'unavailable' },
    });
  });

  it('fills in the defaults of a job as the chat protocol does', async () => {
    const reply = await dispatch(
      admin(),
      'jobs:submit',
      [{ command: 'x', queue: 2 }],
      silentLogger,
    );
    expect(reply).toMatchObject({ ok: true });
    const jobId = (reply as { result: { jobId: number } }).result.jobId;
    const detail = await admin()['jobs:get']!({ jobId });
    expect(detail).toMatchObject({ ram: 0, retries: 0, requires: [] });
    // No cores asked: each task takes one slot of a worker, and no cores (docs/PROTOCOL.md).
    expect(detail.cores).toBeUndefined();
  });
});

describe('chat ops', () => {
  it('pages a pool reply so each body fits a stanza, and the pages cover every worker once', async () => {
    // 256 long tags each: a few such workers fill a body long before MAX_POOL_LISTED.
    const tags = Array.from({ length: 256 }, (_, i) => `tag-${i}-${'x'.repeat(50)}`);
    for (let i = 0; i < 40; i += 1)
      scheduler.profile(`w${String(i).padStart(2, '0')}@pool/a`, profile({ provides: tags }), []);
    for (let i = 0; i < 1200; i += 1) scheduler.profile(`small${i}@pool/a`, profile(), []);
    const ops = createOpsCommands(api, scheduler);
    const seen: string[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const reply = (await ops.run('admin@pool', true, { type: 'pool', offset })) as PoolReply;
      const body = JSON.stringify(reply);
      expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(MAX_WORKER_BODY);
      expect(decodeUserReply(body).ok).toBe(true);
      expect(reply.workers.length).toBeGreaterThan(0);
      expect(reply.workers.length).toBeLessThanOrEqual(MAX_POOL_LISTED);
      expect(reply).toMatchObject({ total: 1240, offset, counters: { workers: 1240 } });
      seen.push(...reply.workers.map((w) => w.jid));
      offset = reply.next_offset;
    }
    expect(seen).toHaveLength(1240);
    expect(new Set(seen).size).toBe(1240);
  });

  it('answers why for the owner and refuses the pool and purge to others', async () => {
    const jobId = await submit(as('alice@pool/im'), {
      command: 'gpu.sh',
      queue: 2,
      requires: ['GPU'],
    });
    const ops = createOpsCommands(api, scheduler);
    expect(await ops.run('alice@pool', false, { type: 'why', job_id: jobId })).toEqual({
      type: 'why',
      job_id: jobId,
      queued: 2,
      running: 0,
      matching: 0,
      reasons: ['no workers online'],
    });
    expect(await ops.run('bob@pool', false, { type: 'why', job_id: jobId })).toMatchObject({
      code: 'unknown_job',
      reason: `no job ${jobId} of yours`,
    });
    expect(await ops.run('bob@pool', false, { type: 'pool' })).toMatchObject({ code: 'forbidden' });
    expect(
      await ops.run('bob@pool', false, { type: 'purge', finished_before: '2030-01-01' }),
    ).toMatchObject({ code: 'forbidden' });
  });
});
