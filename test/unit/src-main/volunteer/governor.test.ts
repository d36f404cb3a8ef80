// The governor over a fake executor: what it suspends, holds back, starts, throttles and caps,
// on an injected clock (the real processes are in test/integration/worker/task-control.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  Executor,
  RunningTask,
  TaskOutcome,
  TaskSpec,
} from '../../../../src-main/worker/executor.ts';
import { createGovernor, THROTTLE_PERIOD_MS } from '../../../../src-main/volunteer/governor.ts';

const DONE: TaskOutcome = {
  exitCode: 0,
  signal: null,
  durationMs: 5,
  stdoutTail: '',
  stderrTail: '',
  cancelled: false,
  timedOut: false,
  cpuSeconds: 2,
};

interface Fake extends RunningTask {
  spec: TaskSpec;
  events: string[];
  finish(outcome?: Partial<TaskOutcome>): void;
}

function fakeExecutor(): Executor & { started: Fake[] } {
  const started: Fake[] = [];
  return {
    started,
    isolation: { kind: 'none', detail: 'fake' },
    run(spec) {
      let finish: (o: TaskOutcome) => void = () => undefined;
      const result = new Promise<TaskOutcome>((resolve) => (finish = resolve));
      let suspended = false;
      const events: string[] = [];
      const task: Fake = {
        spec,
        events,
        pid: 1,
        result,
        cancel: () => finish({ ...DONE, cancelled: true, signal: 'SIGTERM', exitCode: null }),
        suspend() {
          suspended = true;
          events.push('stop');
        },
        resume() {
          suspended = false;
          events.push('cont');
        },
        get suspended() {
          return suspended;
        },
        usage: () => ({ cpuSeconds: 1, rssMb: 10 }),
        finish: (o = {}) => finish({ ...DONE, ...o }),
      };
      started.push(task);
      return task;
    },
    runningCount: () => started.length,
    cancelAll: async () => undefined,
  };
}

const spec = (index: number, over: Partial<TaskSpec> = {}): TaskSpec => ({
  jobId: 1,
  index,
  attempt: 1,
  command: 'x',
  ...over,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('governor', () => {
  it('suspends every running task, notes since when, and resumes them', () => {
    let now = 100;
    const real = fakeExecutor();
    const g = createGovernor({ executor: real, now: () => now });
    g.executor.run(spec(0));
    g.executor.run(spec(1));
    g.apply({ suspend: true, cpuTimeLimit: 100 });
    expect(real.started.map((t) => t.suspended)).toEqual([true, true]);
    expect(g.tasks().map((t) => t.heldSince)).toEqual([100, 100]);
    now = 200;
    g.apply({ suspend: true, cpuTimeLimit: 100 }); // still: the first time counts
    expect(g.tasks().map((t) => t.heldSince)).toEqual([100, 100]);
    g.apply({ suspend: false, cpuTimeLimit: 100 });
    expect(real.started.map((t) => t.events)).toEqual([
      ['stop', 'cont'],
      ['stop', 'cont'],
    ]);
    expect(g.tasks().map((t) => t.heldSince)).toEqual([undefined, undefined]);
  });

  it('holds back a task that arrives while suspended, and starts it when allowed', () => {
    let now = 0;
    const real = fakeExecutor();
    const g = createGovernor({ executor: real, now: () => now });
    g.apply({ suspend: true, cpuTimeLimit: 100 });
    now = 50;
    const held = g.executor.run(spec(0));
    expect(real.started).toHaveLength(0);
    expect(held.suspended).toBe(true);
    expect(g.tasks()[0]).toMatchObject({ heldSince: 50, startedAt: undefined, arrivedAt: 50 });
    now = 70;
    g.apply({ suspend: false, cpuTimeLimit: 100 });
    expect(real.started).toHaveLength(1);
    expect(g.tasks()[0]).toMatchObject({ heldSince: undefined, startedAt: 70 });
  });

  it('starts a task only when memory allows, oldest first', () => {
    const real = fakeExecutor();
    let free = false;
    const g = createGovernor({ executor: real, mayStart: (ram) => free || ram === 0 });
    g.executor.run(spec(0, { ramMb: 512 }));
    g.executor.run(spec(1));
    // The small one started; the big one waits for memory.
    expect(real.started.map((t) => t.spec.index)).toEqual([1]);
    free = true;
    g.apply({ suspend: false, cpuTimeLimit: 100 });
    expect(real.started.map((t) => t.spec.index)).toEqual([1, 0]);
  });

  it('cancels a held task without starting it, and reports its end', async () => {
    const ends: string[] = [];
    const g = createGovernor({
      executor: fakeExecutor(),
      onEnd: (t, o) => ends.push(`${t.spec.index}:${o.cancelled}`),
    });
    g.apply({ suspend: true, cpuTimeLimit: 100 });
    const held = g.executor.run(spec(3));
    held.cancel();
    expect(await held.result).toMatchObject({ cancelled: true });
    expect(ends).toEqual(['3:true']);
    expect(g.tasks()).toEqual([]);
  });

  it('caps each task’s time at the worker’s maximum, below the job’s own', () => {
    const real = fakeExecutor();
    const g = createGovernor({ executor: real, maxTaskSeconds: () => 60 });
    g.executor.run(spec(0));
    g.executor.run(spec(1, { timeoutMs: 10_000 }));
    g.executor.run(spec(2, { timeoutMs: 600_000 }));
    expect(real.started.map((t) => t.spec.timeoutMs)).toEqual([60_000, 10_000, 60_000]);
  });

  it('counts the CPU of ended tasks in its total', async () => {
    const real = fakeExecutor();
    const g = createGovernor({ executor: real });
    const first = g.executor.run(spec(0));
    g.executor.run(spec(1));
    expect(g.cpuSeconds()).toBe(2); // two running, 1 s each
    real.started[0]!.finish({ cpuSeconds: 5 });
    await first.result;
    expect(g.cpuSeconds()).toBe(6);
    expect(g.rssMb()).toBe(10);
  });

  it('duty-cycles running tasks under a CPU time limit, and not while suspended', () => {
    vi.useFakeTimers();
    const real = fakeExecutor();
    const g = createGovernor({ executor: real });
    g.executor.run(spec(0));
    g.apply({ suspend: false, cpuTimeLimit: 30 });
    const task = real.started[0]!;
    vi.advanceTimersByTime((THROTTLE_PERIOD_MS * 30) / 100 - 1);
    expect(task.events).toEqual([]);
    vi.advanceTimersByTime(1); // 300 ms on, then off
    expect(task.events).toEqual(['stop']);
    vi.advanceTimersByTime((THROTTLE_PERIOD_MS * 70) / 100); // 700 ms off, then on
    expect(task.events).toEqual(['stop', 'cont']);
    // A throttle stop is not a suspension: it never counts toward giving the task back.
    vi.advanceTimersByTime(300);
    expect(g.tasks()[0]?.heldSince).toBeUndefined();
    // Suspended by the policy: no duty cycle meanwhile; back to the limit when resumed.
    g.apply({ suspend: true, cpuTimeLimit: 30 });
    const stops = task.events.length;
    vi.advanceTimersByTime(5 * THROTTLE_PERIOD_MS);
    expect(task.events.length).toBe(stops);
    g.apply({ suspend: false, cpuTimeLimit: 100 });
    vi.advanceTimersByTime(5 * THROTTLE_PERIOD_MS);
    expect(task.suspended).toBe(false);
    g.close();
  });
});
