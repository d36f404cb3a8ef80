// Runs the tasks of Kestrel jobs on this worker: `COMMAND INDEX` through the platform shell, in
// its own process group and working directory (in a sandbox where there is one), with an
// environment of its own, keeping only the tail of its output.
import { isAbsolute, join, resolve } from 'node:path';
import {
  createHostConfinement,
  createSandboxConfinement,
  type Confinement,
} from './confinement.ts';
import { findCgroupBase } from './host-tree.ts';
import { probeSandbox, type Exposure, type Isolation } from './sandbox.ts';
import type { TaskUsage } from './task-usage.ts';
import { createTaskEnvironment, passEnvProblem } from './task-env.ts';
import { taskLauncher, type TaskLauncher } from './task-launcher.ts';
import { makeWorkDirs, removeJobDir, removeWorkDir } from './work-dir.ts';
import {
  createTail,
  message,
  startProcess,
  type ProcessEnd,
  type ProcessRun,
} from './shell-process.ts';

export interface ExecutorOptions {
  /** Each task runs in `workRoot/job-<jobId>/task-<index>-<attempt>`; workRoot itself is kept. */
  workRoot: string;
  /** Characters kept from the end of stdout and of stderr, each. Default 4096. */
  tailChars?: number;
  /** Time from SIGTERM to SIGKILL when a task's process group is stopped. Default 2000 ms. */
  killGraceMs?: number;
  /**
   * 'auto' (default): the bubblewrap sandbox where it works here, else none (say so: see
   * `isolation`). 'require': throw an ExecutorOptionsError (code executor-no-sandbox) without
   * one. 'none': never (tasks see what the worker's user sees).
   */
  sandbox?: 'auto' | 'require' | 'none';
  /** Host paths tasks see inside the sandbox, at the same place (read-only unless writable). */
  expose?: readonly Exposure[];
  /** Names of the worker's environment variables passed to tasks (never KESTREL_*). */
  passEnv?: readonly string[];
  /** Where PATH, LANG, LC_*, TZ and the passEnv names are read. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** What starts the task processes. Default: this process's spawn helper (task-launcher.ts). */
  launcher?: TaskLauncher;
}

export interface TaskSpec {
  jobId: number;
  index: number;
  attempt: number;
  command: string;
  /** Runs after the command ends (unless cancelled), with INDEX appended too. */
  cleanup?: string;
  /**
   * Wall-clock limit, applied to the command and, separately, to the cleanup; time spent
   * suspended does not count. No limit when absent.
   */
  timeoutMs?: number;
  /** The job's `ram` (MB): the task is stopped when its processes hold more. No limit when 0 or absent. */
  ramMb?: number;
  /** Bare JID of the job's submitter: not used to run the task, kept for whoever watches it. */
  owner?: string;
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
  /** Why the worker stopped the command, for people: over its time or memory limit. */
  stopped?: string;
  /** CPU time of the task's processes, where the platform can tell (see task-usage.ts). */
  cpuSeconds?: number;
}

export interface RunningTask {
  /** The command's process, once started (its directories are made first); undefined before. */
  readonly pid: number | undefined;
  /** Never rejects. */
  readonly result: Promise<TaskOutcome>;
  /**
   * Resolves once the task's processes have all ended, before its directories are removed
   * (`result` waits for that too): its slot is free from then on. Absent: when `result` settles.
   */
  readonly exited?: Promise<void>;
  cancel(): void;
  /**
   * Stops every process of the task where it stands (and of its cleanup, should that start
   * meanwhile) until resume(); its time limit waits too. A no-op where the platform cannot.
   */
  suspend(): void;
  resume(): void;
  readonly suspended: boolean;
  /** What its processes use so far; undefined where the platform cannot tell. */
  usage(): TaskUsage | undefined;
}

export interface Executor {
  /** Whether tasks run in a sandbox, and if not, why. */
  readonly isolation: Isolation;
  run(task: TaskSpec): RunningTask;
  runningCount(): number;
  /** Stops every running task (command or cleanup) and waits until each has settled. */
  cancelAll(): Promise<void>;
}

export class ExecutorOptionsError extends Error {
  override readonly name = 'ExecutorOptionsError';
  readonly code: 'executor-invalid-options' | 'executor-no-sandbox';
  constructor(message: string, code: ExecutorOptionsError['code'] = 'executor-invalid-options') {
    super(message);
    this.code = code;
  }
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
  if (task.ramMb !== undefined && !(task.ramMb >= 0)) return 'ramMb must be a number ≥ 0';
  return undefined;
}

function checkOptions(options: ExecutorOptions): void {
  for (const name of options.passEnv ?? []) {
    const problem = passEnvProblem(name);
    if (problem !== undefined) throw new ExecutorOptionsError(`passEnv: ${problem}`);
  }
  for (const { path } of options.expose ?? []) {
    if (typeof path !== 'string' || !isAbsolute(path) || resolve(path) === '/')
      throw new ExecutorOptionsError(`expose: '${String(path)}' must be an absolute path below /`);
  }
  if (!['auto', 'require', 'none', undefined].includes(options.sandbox))
    throw new ExecutorOptionsError(`sandbox must be 'auto', 'require' or 'none'`);
}

function chooseConfinement(options: ExecutorOptions): {
  confinement: Confinement;
  isolation: Isolation;
} {
  const mode = options.sandbox ?? 'auto';
  const probed =
    mode === 'none'
      ? { isolation: { kind: 'none' as const, detail: 'the sandbox is turned off' } }
      : probeSandbox(options.env);
  if (probed.sandbox !== undefined) {
    const exposures = (options.expose ?? []).map((e) => ({ ...e, path: resolve(e.path) }));
    return {
      confinement: createSandboxConfinement(probed.sandbox, exposures, findCgroupBase()),
      isolation: probed.isolation,
    };
  }
  if (mode === 'require')
    throw new ExecutorOptionsError(
      `a sandbox is required but ${probed.isolation.detail}`,
      'executor-no-sandbox',
    );
  return { confinement: createHostConfinement(findCgroupBase()), isolation: probed.isolation };
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
  checkOptions(options);
  const { confinement, isolation } = chooseConfinement(options);
  const environment = createTaskEnvironment({
    source: options.env ?? process.env,
    passEnv: options.passEnv ?? [],
  });
  const launcher = options.launcher ?? taskLauncher();
  const running = new Set<RunningTask>();
  /** Task runs of each job directory not yet cleaned up: the last one removes the directory. */
  const inJobDir = new Map<string, number>();

  function run(task: TaskSpec): RunningTask {
    const stdout = createTail(tailChars);
    const stderr = createTail(tailChars);
    const jobDir = join(workRoot, `job-${task.jobId}`);
    const cwd = join(jobDir, `task-${task.index}-${task.attempt}`);
    // The task's own HOME and TMPDIR, beside its working directory so that its `ls` is as before.
    const own = join(jobDir, `.task-${task.index}-${task.attempt}`);
    const home = join(own, 'home');
    const tmp = join(own, 'tmp');
    const env = environment(task, home, tmp);
    let cancelled = false;
    let suspended = false;
    let current: ProcessRun | undefined;
    // CPU time of the command lines that have ended (the command before its cleanup).
    let spentCpu: number | undefined;
    const start = (command: string): ProcessRun => {
      const { timeoutMs } = task;
      const memoryLimitMb = task.ramMb;
      const io = {
        ...{ cwd, env, timeoutMs, killGraceMs, stdout, stderr, confinement, own: [own] },
        launcher,
        memoryLimitMb,
      };
      current = startProcess(`${command} ${task.index}`, io);
      if (suspended) current.suspend();
      return current;
    };
    const usage = (): TaskUsage | undefined => {
      const now = current?.usage();
      if (now === undefined)
        return spentCpu === undefined ? undefined : { cpuSeconds: spentCpu, rssMb: 0 };
      return { ...now, cpuSeconds: now.cpuSeconds + (spentCpu ?? 0) };
    };
    const addCpu = (end: ProcessEnd) => {
      if (end.cpuSeconds !== undefined) spentCpu = (spentCpu ?? 0) + end.cpuSeconds;
    };
    const stoppedBecause = (end: Omit<ProcessEnd, 'timedOut'> & { timedOut?: boolean }) => {
      if (end.overMemoryMb !== undefined)
        return `stopped: it used ${end.overMemoryMb} MB of memory, more than the ${String(task.ramMb)} MB its job asked for (ram)`;
      if (end.timedOut && task.timeoutMs !== undefined)
        return `stopped: it ran longer than its time limit of ${Math.round(task.timeoutMs / 1000)} s`;
      return undefined;
    };
    const settle = (end: Omit<ProcessEnd, 'timedOut'> & { timedOut?: boolean }): TaskOutcome => {
      const stopped = stoppedBecause(end);
      return {
        exitCode: end.exitCode,
        signal: end.signal,
        durationMs: end.durationMs,
        stdoutTail: stdout.text(),
        stderrTail: stderr.text(),
        cancelled,
        timedOut: end.timedOut ?? false,
        ...(end.error === undefined ? {} : { error: end.error }),
        ...(stopped === undefined ? {} : { stopped }),
        ...(spentCpu === undefined ? {} : { cpuSeconds: spentCpu }),
      };
    };
    const failed = (error: string): TaskOutcome =>
      settle({ exitCode: null, signal: null, durationMs: 0, error });

    /** The directories go once the task has ended; the job's with its last task here. */
    async function cleanUp(): Promise<void> {
      current = undefined;
      await removeWorkDir({ cwd, own, inside: [home, tmp] }, stderr);
      // Counted once its own directories are gone: the last task to get there finds the job's
      // directory empty, whichever order their removals end in.
      const left = (inJobDir.get(jobDir) ?? 1) - 1;
      if (left > 0) inJobDir.set(jobDir, left);
      else {
        inJobDir.delete(jobDir);
        await removeJobDir(jobDir, stderr);
      }
    }

    let markExited = (): void => undefined;
    const exited = new Promise<void>((resolve) => (markExited = resolve));

    async function finish(main: ProcessRun): Promise<TaskOutcome> {
      const end = await main.end;
      addCpu(end);
      const cleanup = task.cleanup?.trim() ? task.cleanup : undefined;
      if (end.error === undefined && !cancelled && cleanup !== undefined) {
        const after = await start(cleanup).end;
        addCpu(after);
        if (after.error !== undefined) stderr.note(`[kestrel] cleanup failed: ${after.error}`);
        else if (after.timedOut) stderr.note(`[kestrel] cleanup timed out`);
        else if (after.signal !== null) stderr.note(`[kestrel] cleanup killed by ${after.signal}`);
        else if (after.exitCode !== 0)
          stderr.note(`[kestrel] cleanup exited with ${after.exitCode}`);
      }
      markExited();
      await cleanUp();
      return settle(end);
    }

    /** Its directories first (off the event loop), then the command, unless cancelled meanwhile. */
    async function launch(): Promise<TaskOutcome> {
      inJobDir.set(jobDir, (inJobDir.get(jobDir) ?? 0) + 1);
      const dirError = await makeWorkDirs(cwd, own, [home, tmp]);
      if (dirError !== undefined || cancelled) {
        await cleanUp();
        if (dirError !== undefined) return failed(`cannot create working directory: ${dirError}`);
        return settle({ exitCode: null, signal: null, durationMs: 0 });
      }
      main = start(task.command);
      return finish(main);
    }

    let main: ProcessRun | undefined;
    const problem = validateTask(task);
    const result = (
      problem === undefined
        ? launch().catch((err: unknown) => failed(message(err)))
        : Promise.resolve(failed(`invalid task: ${problem}`))
    ).finally(markExited);
    const handle: RunningTask = {
      get pid() {
        return main?.pid;
      },
      result,
      exited,
      cancel() {
        cancelled = true;
        suspended = false; // terminate() lets a stopped task run to act on its SIGTERM
        current?.terminate();
      },
      suspend() {
        if (cancelled) return;
        suspended = true;
        current?.suspend();
      },
      resume() {
        suspended = false;
        current?.resume();
      },
      get suspended() {
        return suspended;
      },
      usage,
    };
    running.add(handle);
    void result.then(() => running.delete(handle));
    return handle;
  }

  return {
    isolation,
    run,
    runningCount: () => running.size,
    async cancelAll() {
      const tasks = [...running];
      for (const task of tasks) task.cancel();
      await Promise.all(tasks.map((task) => task.result));
    },
  };
}
