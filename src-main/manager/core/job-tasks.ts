import type { JobCounts, JobInfo, TaskState } from './types.ts';

/**
 * The tasks of one job, kept in typed arrays so a job of millions of tasks costs a few bytes per
 * task and is accepted in constant time: a task that was never touched is simply "queued".
 */

const STATE_CODES: readonly TaskState[] = ['queued', 'running', 'done', 'failed', 'cancelled'];
const QUEUED = 0;
const RUNNING = 1;

export function stateCode(state: TaskState): number {
  return STATE_CODES.indexOf(state);
}

export interface JobTasks {
  readonly info: JobInfo;
  readonly counts: JobCounts;
  cancelledAt: number | undefined;
  finishedAt: number | undefined;
  /** Time the first task was handed out, for the ETA. */
  startedAt: number | undefined;
  /**
   * Of its `running` tasks, those a worker holds ahead of a free slot (prefetched): assigned and
   * stored as running, but waiting to start. Kept by the scheduler.
   */
  ahead: number;
  state(index: number): TaskState;
  attempts(index: number): number;
  failures(index: number): number;
  lost(index: number): number;
  /** The next queued index, marked running with a new attempt number; undefined when none is queued. */
  take(): { index: number; attempt: number } | undefined;
  /** Set a task's state, keeping the counts right. */
  set(index: number, state: TaskState): void;
  /**
   * Count every task not ended as cancelled without touching the arrays (release() follows, the
   * job having ended); returns how many. The caller has stopped the running tasks it knows of.
   */
  cancelRest(): number;
  /** Put a running task back in the queue. */
  requeue(index: number): void;
  addFailure(index: number): number;
  addLost(index: number): number;
  /** Restore one task's stored state (after a manager restart). */
  restore(index: number, state: TaskState, attempts: number, failures: number, lost: number): void;
  isEnded(): boolean;
  /** Drop the per-task arrays of an ended job; counts stay. */
  release(): void;
}

/**
 * The counts people see: `running` the tasks started on workers, `queued` those waiting, with
 * the ones a worker holds ahead of a free slot among them (they have not started).
 */
export function shownCounts(job: Pick<JobTasks, 'counts' | 'ahead'>): JobCounts {
  const { counts, ahead } = job;
  return { ...counts, running: counts.running - ahead, queued: counts.queued + ahead };
}

export function createJobTasks(info: JobInfo): JobTasks {
  const n = info.spec.queue;
  let states = new Uint8Array(n);
  let attempts = new Uint16Array(n);
  let failures = new Uint8Array(n);
  let lostCounts = new Uint8Array(n);
  let cursor = 0;
  const requeued: number[] = [];
  const counts: JobCounts = { queued: n, running: 0, done: 0, failed: 0, cancelled: 0 };

  function key(code: number): keyof JobCounts {
    return STATE_CODES[code] ?? 'queued';
  }

  function set(index: number, state: TaskState): void {
    const from = states[index] ?? QUEUED;
    const to = stateCode(state);
    if (from === to) return;
    counts[key(from)] -= 1;
    counts[key(to)] += 1;
    states[index] = to;
    if (to === QUEUED && index < cursor) requeued.push(index);
  }

  return {
    info,
    counts,
    cancelledAt: undefined,
    finishedAt: undefined,
    startedAt: undefined,
    ahead: 0,
    state: (index) => key(states[index] ?? QUEUED),
    attempts: (index) => attempts[index] ?? 0,
    failures: (index) => failures[index] ?? 0,
    lost: (index) => lostCounts[index] ?? 0,
    take() {
      let index: number | undefined;
      while (requeued.length > 0) {
        const candidate = requeued.pop();
        if (candidate !== undefined && states[candidate] === QUEUED) {
          index = candidate;
          break;
        }
      }
      if (index === undefined) {
        while (cursor < n && states[cursor] !== QUEUED) cursor += 1;
        if (cursor >= n) return undefined;
        index = cursor;
        cursor += 1;
      }
      set(index, 'running');
      const attempt = (attempts[index] ?? 0) + 1;
      attempts[index] = attempt;
      return { index, attempt };
    },
    set,
    cancelRest() {
      const n = counts.queued + counts.running;
      counts.cancelled += n;
      counts.queued = 0;
      counts.running = 0;
      return n;
    },
    requeue(index) {
      if (states[index] === RUNNING) set(index, 'queued');
    },
    addFailure(index) {
      const value = (failures[index] ?? 0) + 1;
      failures[index] = Math.min(value, 255);
      return value;
    },
    addLost(index) {
      const value = (lostCounts[index] ?? 0) + 1;
      lostCounts[index] = Math.min(value, 255);
      return value;
    },
    restore(index, state, attemptCount, failureCount, lostCount) {
      set(index, state);
      attempts[index] = attemptCount;
      failures[index] = failureCount;
      lostCounts[index] = lostCount;
    },
    isEnded: () => counts.queued === 0 && counts.running === 0,
    release() {
      states = new Uint8Array(0);
      attempts = new Uint16Array(0);
      failures = new Uint8Array(0);
      lostCounts = new Uint8Array(0);
      requeued.length = 0;
    },
  };
}
