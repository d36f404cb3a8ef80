// Runs the tasks of Kestrel jobs on this worker: `COMMAND INDEX` through the platform shell, in
// its own process group and working directory, keeping only the tail of its output.
import { mkdirSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTail,
  message,
  startProcess,
  type ProcessEnd,
  type ProcessRun,
  type Tail,
} from './shell-process.ts';

export interface ExecutorOptions {
  /** Each task runs in `workRoot/job-<jobId>/task-<index>-<attempt>`; workRoot itself is kept. */
  workRoot: string;
  /** Characters kept from the end of stdout and of stderr, each. Default 4096. */
  tailChars?: number;
  /** Time from SIGTERM to SIGKILL when a task's process group is stopped. Default 2000 ms. */
  killGraceMs?: number;
}

export interface TaskSpec {
  jobId: number;
  index: number;
  attempt: number;
  command: string;
  /** Runs after the command ends (unless cancelled), with INDEX appended too. */
  cleanup?: string;
  /** Applies to the command and, separately, to the cleanup. No limit when absent. */
  timeoutMs?: number;
}

export interface TaskOutcome {
  /** Exit code of the shell running the command; null when it died by a signal or never ran. */
  exitCode: number | null;
  signal: string | null;
  /** Wall time of the command itself, without its cleanup. */
  durationMs: number;
  stdoutTail: string;
  stderrTail: string;
  /** cancel() was called before the outcome was settled. */
  cancelled: boolean;
  timedOut: boolean;
  /** The command could not be started; exitCode is then null. */
  error?: string;
}

export interface RunningTask {
  readonly pid: number | undefined;
  /** Never rejects. */
  readonly result: Promise<TaskOutcome>;
  cancel(): void;
}

export interface Executor {
  run(task: TaskSpec): RunningTask;
  runningCount(): number;
  /** Stops every running task (command or cleanup) and waits until each has settled. */
  cancelAll(): Promise<void>;
}

export class ExecutorOptionsError extends Error {
  readonly code = 'executor-invalid-options';
  override readonly name = 'ExecutorOptionsError';
}

function validateTask(task: TaskSpec): string | undefined {
  for (const key of ['jobId', 'index', 'attempt'] as const) {
    if (!Number.isSafeInteger(task[key]) || task[key] < 0) return `${key} must be an integer ≥ 0`;
  }
  if (typeof task.command !== 'string' || task.command.trim() === '') {
    return 'command must be a non-empty string';
  }
  if (task.timeoutMs !== undefined && !(task.timeoutMs > 0 && task.timeoutMs <= 2 ** 31 - 1)) {
    return 'timeoutMs must be a positive number of milliseconds below 2^31';
  }
  return undefined;
}

// Synchronous so that `pid` is known when run() returns; creating a directory is cheap.
function makeWorkDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    return undefined;
  } catch (err) {
    return message(err);
  }
}

async function removeWorkDir(dir: string, jobDir: string, stderr: Tail): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    // Other tasks of the job may still use the job directory: it goes only once empty.
    await rmdir(jobDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
    stderr.note(`[kestrel] could not remove working directory: ${message(err)}`);
  }
}

export function createExecutor(options: ExecutorOptions): Executor {
  const { workRoot, tailChars = 4096, killGraceMs = 2000 } = options;
  if (typeof workRoot !== 'string' || workRoot === '') {
    throw new ExecutorOptionsError('workRoot must be a non-empty path');
  }
  if (!Number.isSafeInteger(tailChars) || tailChars < 1) {
    throw new ExecutorOptionsError('tailChars must be a positive integer');
  }
  if (!(killGraceMs >= 0 && killGraceMs <= 2 ** 31 - 1)) {
    throw new ExecutorOptionsError('killGraceMs must be a number of milliseconds ≥ 0');
  }
  const running = new Set<RunningTask>();

  function run(task: TaskSpec): RunningTask {
    const stdout = createTail(tailChars);
    const stderr = createTail(tailChars);
    const jobDir = join(workRoot, `job-${task.jobId}`);
    const cwd = join(jobDir, `task-${task.index}-${task.attempt}`);
    const env = {
      ...process.env,
      KESTREL_JOB_ID: String(task.jobId),
      KESTREL_TASK_INDEX: String(task.index),
      KESTREL_ATTEMPT: String(task.attempt),
    };
    let cancelled = false;
    let current: ProcessRun | undefined;
    const start = (command: string): ProcessRun => {
      const io = { cwd, env, timeoutMs: task.timeoutMs, killGraceMs, stdout, stderr };
      current = startProcess(`${command} ${task.index}`, io);
      return current;
    };
    const settle = (end: Omit<ProcessEnd, 'timedOut'> & { timedOut?: boolean }): TaskOutcome => ({
      exitCode: end.exitCode,
      signal: end.signal,
      durationMs: end.durationMs,
      stdoutTail: stdout.text(),
      stderrTail: stderr.text(),
      cancelled,
      timedOut: end.timedOut ?? false,
      ...(end.error === undefined ? {} : { error: end.error }),
    });
    const failed = (error: string): TaskOutcome =>
      settle({ exitCode: null, signal: null, durationMs: 0, error });

    async function finish(main: ProcessRun): Promise<TaskOutcome> {
      const end = await main.end;
      const cleanup = task.cleanup?.trim() ? task.cleanup : undefined;
      if (end.error === undefined && !cancelled && cleanup !== undefined) {
        const after = await start(cleanup).end;
        if (after.error !== undefined) stderr.note(`[kestrel] cleanup failed: ${after.error}`);
        else if (after.timedOut) stderr.note(`[kestrel] cleanup timed out`);
        else if (after.signal !== null) stderr.note(`[kestrel] cleanup killed by ${after.signal}`);
        else if (after.exitCode !== 0)
          stderr.note(`[kestrel] cleanup exited with ${after.exitCode}`);
      }
      current = undefined;
      await removeWorkDir(cwd, jobDir, stderr);
      return settle(end);
    }

    let pid: number | undefined;
    let result: Promise<TaskOutcome>;
    const problem = validateTask(task);
    if (problem !== undefined) {
      result = Promise.resolve(failed(`invalid task: ${problem}`));
    } else {
      const dirError = makeWorkDir(cwd);
      if (dirError !== undefined) {
        result = Promise.resolve(failed(`cannot create working directory: ${dirError}`));
      } else {
        const main = start(task.command);
        pid = main.pid;
        result = finish(main).catch((err: unknown) => failed(message(err)));
      }
    }
    const handle: RunningTask = {
      get pid() {
        return pid;
      },
      result,
      cancel() {
        cancelled = true;
        current?.terminate();
      },
    };
    running.add(handle);
    void result.then(() => running.delete(handle));
    return handle;
  }

  return {
    run,
    runningCount: () => running.size,
    async cancelAll() {
      const tasks = [...running];
      for (const task of tasks) task.cancel();
      await Promise.all(tasks.map((task) => task.result));
    },
  };
}
