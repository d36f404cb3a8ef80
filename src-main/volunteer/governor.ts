// Applies the policy's decision to the tasks that run: an Executor in front of the real one
// that suspends and resumes them all, duty-cycles them under a CPU time limit, holds back a task
// that arrives while they are suspended (or that would take memory past the limit) until it may
// start, caps each task's wall-clock time at the worker's maximum, and reports every end.
//
// Throttling (BOINC's cpu_usage_limit) stops and continues the tasks within each period of
// THROTTLE_PERIOD_MS: at 50 %, 500 ms running, 500 ms stopped. A suspension by the policy wins
// over it; only a policy suspension counts toward the limit after which tasks are given back.
import type { Decision } from './policy.ts';
import type { Executor, RunningTask, TaskOutcome, TaskSpec } from '../worker/executor.ts';
import type { TaskUsage } from '../worker/task-usage.ts';

export const THROTTLE_PERIOD_MS = 1000;

export interface GovernedTask {
  readonly key: string;
  readonly spec: TaskSpec;
  /** When it arrived, and when it started (undefined while held back). */
  readonly arrivedAt: number;
  startedAt: number | undefined;
  /** Since when the policy has held it (suspended, or not started); undefined while it may run. */
  heldSince: number | undefined;
  /** What to write in its history entry besides its outcome (why it was stopped). */
  note: string | undefined;
  usage(): TaskUsage | undefined;
}

export interface GovernorOptions {
  executor: Executor;
  now?: () => number;
  /** May a task asking for this much memory (MB) start now (policy.mayStart with a fresh reading)? */
  mayStart?(ramMb: number): boolean;
  /** The worker's own wall-clock maximum per task, in seconds; 0: none. */
  maxTaskSeconds?(): number;
  /** Every task that ended (done, failed, cancelled, given back), with its outcome. */
  onEnd?(task: GovernedTask, outcome: TaskOutcome): void;
}

export interface Governor {
  /** Give this to the worker service in place of the real executor. */
  readonly executor: Executor;
  apply(decision: Pick<Decision, 'suspend' | 'cpuTimeLimit'>): void;
  tasks(): readonly GovernedTask[];
  /** Suspended by the policy now (throttling aside). */
  readonly suspended: boolean;
  /** CPU seconds of every task run so far, ended ones included: "ours" for other-CPU. */
  cpuSeconds(): number;
  /** Resident memory of the running tasks, MB. */
  rssMb(): number;
  /** Stops the throttle timer. */
  close(): void;
}

const keyOf = (t: { jobId: number; index: number; attempt: number }) =>
  `${t.jobId}:${t.index}:${t.attempt}`;

const CANCELLED: TaskOutcome = {
  exitCode: null,
  signal: null,
  durationMs: 0,
  stdoutTail: '',
  stderrTail: '',
  cancelled: true,
  timedOut: false,
};

interface Entry extends GovernedTask {
  handle: RunningTask | undefined;
  cancelled: boolean;
  settle(outcome: TaskOutcome): void;
}

export function createGovernor(options: GovernorOptions): Governor {
  const { executor } = options;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let suspended = false;
  let limit = 100;
  let throttleTimer: NodeJS.Timeout | undefined;
  /** Throttle's own stop, within a period. */
  let throttledOff = false;
  let endedCpu = 0;

  const started = () => [...entries.values()].filter((e) => e.handle !== undefined);
  const stopped = () => suspended || throttledOff;

  function syncStops(): void {
    for (const e of started()) {
      if (stopped() && !e.handle?.suspended) e.handle?.suspend();
      else if (!stopped() && e.handle?.suspended) e.handle.resume();
    }
  }

  function begin(entry: Entry): void {
    const spec = { ...entry.spec };
    const max = options.maxTaskSeconds?.() ?? 0;
    if (max > 0) spec.timeoutMs = Math.min(spec.timeoutMs ?? Infinity, max * 1000);
    const handle = executor.run(spec);
    entry.handle = handle;
    entry.startedAt = now();
    if (!suspended) entry.heldSince = undefined;
    if (stopped()) handle.suspend();
    void handle.result.then((outcome) => {
      endedCpu += outcome.cpuSeconds ?? 0;
      entry.settle(outcome);
    });
  }

  /** Held-back tasks start, oldest first, while memory allows. */
  function startHeld(): void {
    if (suspended) return;
    const waiting = [...entries.values()].filter((e) => e.handle === undefined && !e.cancelled);
    for (const entry of waiting) {
      if (options.mayStart && !options.mayStart(entry.spec.ramMb ?? 0)) return;
      begin(entry);
    }
  }

  function scheduleThrottle(): void {
    clearTimeout(throttleTimer);
    throttleTimer = undefined;
    const wanted = limit < 100 && !suspended && started().length > 0;
    if (!wanted) {
      if (throttledOff) {
        throttledOff = false;
        syncStops();
      }
      return;
    }
    const onMs = (THROTTLE_PERIOD_MS * limit) / 100;
    const phase = throttledOff ? THROTTLE_PERIOD_MS - onMs : onMs;
    throttleTimer = setTimeout(() => {
      throttledOff = !throttledOff;
      syncStops();
      scheduleThrottle();
    }, phase);
    throttleTimer.unref();
  }

  function run(spec: TaskSpec): RunningTask {
    const key = keyOf(spec);
    let settle: (outcome: TaskOutcome) => void = () => undefined;
    const result = new Promise<TaskOutcome>((resolve) => (settle = resolve));
    const entry: Entry = {
      key,
      spec,
      arrivedAt: now(),
      startedAt: undefined,
      heldSince: undefined,
      note: undefined,
      handle: undefined,
      cancelled: false,
      usage: () => entry.handle?.usage(),
      settle: (outcome) => {
        if (entries.get(key) === entry) entries.delete(key);
        options.onEnd?.(entry, outcome);
        settle(outcome);
        scheduleThrottle();
      },
    };
    entries.set(key, entry);
    const may = !suspended && (options.mayStart?.(spec.ramMb ?? 0) ?? true);
    if (may) begin(entry);
    else entry.heldSince = now();
    scheduleThrottle();
    return {
      get pid() {
        return entry.handle?.pid;
      },
      result,
      cancel() {
        entry.cancelled = true;
        if (entry.handle) entry.handle.cancel();
        else entry.settle(CANCELLED);
      },
      suspend: () => entry.handle?.suspend(),
      resume: () => entry.handle?.resume(),
      get suspended() {
        return entry.handle === undefined || entry.handle.suspended;
      },
      usage: () => entry.handle?.usage(),
    };
  }

  return {
    executor: {
      isolation: executor.isolation,
      run,
      runningCount: () => entries.size,
      async cancelAll() {
        const all = [...entries.values()];
        for (const e of all) {
          e.cancelled = true;
          if (e.handle) e.handle.cancel();
          else e.settle(CANCELLED);
        }
        await executor.cancelAll();
      },
    },
    apply(decision) {
      limit = decision.cpuTimeLimit;
      if (decision.suspend !== suspended) {
        suspended = decision.suspend;
        const t = now();
        for (const e of entries.values()) {
          if (suspended) e.heldSince ??= t;
          else if (e.handle !== undefined) e.heldSince = undefined;
        }
        syncStops();
      }
      startHeld();
      scheduleThrottle();
    },
    tasks: () => [...entries.values()],
    get suspended() {
      return suspended;
    },
    cpuSeconds() {
      let sum = endedCpu;
      for (const e of started()) sum += e.handle?.usage()?.cpuSeconds ?? 0;
      return sum;
    },
    rssMb() {
      let sum = 0;
      for (const e of started()) sum += e.handle?.usage()?.rssMb ?? 0;
      return sum;
    },
    close() {
      clearTimeout(throttleTimer);
      throttleTimer = undefined;
    },
  };
}
