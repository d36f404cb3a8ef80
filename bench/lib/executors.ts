// Executors for simulated workers: the worker service and its XMPP connection are the real ones,
// only running the task is replaced, so the bench measures the scheduler and the transport rather
// than process spawning (which bench/sections/throughput.ts measures on its own with `true`).
import type {
  Executor,
  RunningTask,
  TaskOutcome,
  TaskSpec,
} from '../../src-main/worker/executor.ts';

export type TaskListener = (task: TaskSpec, at: number) => void;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const wallClock = (): number => performance.timeOrigin + performance.now();

const DONE: TaskOutcome = {
  exitCode: 0,
  signal: null,
  durationMs: 0,
  stdoutTail: '',
  stderrTail: '',
  cancelled: false,
  timedOut: false,
};

/** Completes every task at once with exit code 0: a no-op task. */
const SIMULATED = { kind: 'none', detail: 'simulated tasks run no process' } as const;
/** A simulated task has no processes to suspend or measure. */
const NO_PROCESS = {
  suspend() {},
  resume() {},
  suspended: false,
  usage: () => undefined,
};

export function createInstantExecutor(onDone?: TaskListener): Executor {
  return {
    isolation: SIMULATED,
    run(task) {
      onDone?.(task, wallClock());
      return { pid: undefined, result: Promise.resolve(DONE), cancel() {}, ...NO_PROCESS };
    },
    runningCount: () => 0,
    async cancelAll() {},
  };
}

/** Holds every task until it is cancelled: a worker that is busy for as long as we need. */
export function createHoldExecutor(onStart?: TaskListener): Executor {
  const running = new Set<() => void>();
  return {
    isolation: SIMULATED,
    run(task) {
      onStart?.(task, wallClock());
      let cancel = () => {};
      const result = new Promise<TaskOutcome>((resolve) => {
        cancel = () => {
          running.delete(cancel);
          resolve({ ...DONE, exitCode: null, signal: 'SIGTERM', cancelled: true });
        };
      });
      running.add(cancel);
      const handle: RunningTask = {
        pid: undefined,
        result,
        cancel: () => cancel(),
        ...NO_PROCESS,
      };
      return handle;
    },
    runningCount: () => running.size,
    async cancelAll() {
      for (const cancel of [...running]) cancel();
    },
  };
}
