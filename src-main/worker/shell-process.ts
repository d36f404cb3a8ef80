// Runs one shell command line for a task: through the platform shell, in its own process group
// (and sandbox, see confinement.ts), with a bounded tail of its output and the kill rules of the
// worker (SIGTERM, then SIGKILL to everything the command started).
import { existsSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import type { Readable } from 'node:stream';
import type { Confinement, Launched, Prepared, TaskTree } from './confinement.ts';
import { TASK_NICENESS } from './niceness.ts';
import type { TaskChild } from './remote-child.ts';
import type { TaskLauncher } from './task-launcher.ts';
import type { TaskUsage } from './task-usage.ts';

const isWindows = process.platform === 'win32';
/** How long stdout/stderr may stay open after the command exits, beyond the kill grace. */
const CLOSE_SLACK_MS = 500;
/** How often a task with a memory limit has its resident memory measured. */
const MEMORY_CHECK_MS = 1000;
// Run through nice(1), which execs the command, unless the confinement sets the priority itself
// before the command starts: either way it holds from the command's first instruction and is
// inherited by whatever it starts, with no moment at the normal priority.
const NICE = ['/usr/bin/nice', '/bin/nice'].find((path) => !isWindows && existsSync(path));

export interface Tail {
  push(chunk: string): void;
  /** Appends a line of our own (prefixed `[kestrel]` by callers) on a line of its own. */
  note(line: string): void;
  text(): string;
}

// Keeps at most about 3 × limit characters whatever the task writes, so a task flooding
// gigabytes costs no memory; only the last `limit` characters are ever reported.
export function createTail(limit: number): Tail {
  let text = '';
  const trim = (): void => {
    if (text.length > 2 * limit) text = text.slice(-limit);
  };
  return {
    push(chunk) {
      text += chunk.length > limit ? chunk.slice(-limit) : chunk;
      trim();
    },
    note(line) {
      text += (text === '' || text.endsWith('\n') ? '' : '\n') + line + '\n';
      trim();
    },
    text: () => text.slice(-limit),
  };
}

export interface ProcessEnd {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Resident MB measured when it was stopped for going over `memoryLimitMb`. */
  overMemoryMb?: number;
  /**
   * CPU time of its processes: exact with a cgroup; otherwise as last measured while they ran
   * (a /proc walk cannot see processes once they have ended).
   */
  cpuSeconds?: number;
  durationMs: number;
  error?: string;
}

export interface ProcessRun {
  pid: number | undefined;
  end: Promise<ProcessEnd>;
  /** SIGTERM to the group now, SIGKILL after the grace if any process is left. Idempotent. */
  terminate(): void;
  /** Stops every process of the command; its time limit does not run meanwhile. */
  suspend(): void;
  resume(): void;
  usage(): TaskUsage | undefined;
}

export interface ProcessIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number | undefined;
  killGraceMs: number;
  stdout: Tail;
  stderr: Tail;
  confinement: Confinement;
  launcher: TaskLauncher;
  /** The task's private directories that the sandbox shows besides cwd. */
  own: readonly string[];
  /** Stopped when its processes hold more resident memory than this (MB); no limit when absent. */
  memoryLimitMb?: number;
}

export const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

// SIGTERM now, SIGKILL after the grace if any process of the task is left; `settle` waits for
// that second stage only when something survived the first.
function createStopper(tree: TaskTree, graceMs: number) {
  let killed: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    terminate(): void {
      if (killed !== undefined || !tree.alive()) return;
      tree.terminate();
      killed = new Promise((resolve) => {
        timer = setTimeout(() => {
          if (tree.alive()) tree.kill();
          resolve();
        }, graceMs);
      });
    },
    async settle(): Promise<void> {
      if (killed === undefined) return;
      if (tree.alive()) await killed;
      else clearTimeout(timer);
    },
  };
}

export function startProcess(commandLine: string, io: ProcessIo): ProcessRun {
  const started = performance.now();
  let prepared: Prepared | undefined;
  let child: TaskChild;
  try {
    prepared = io.confinement.prepare(commandLine, io.cwd, io.own, io.launcher.enters);
    const [file, args] =
      NICE === undefined || prepared.niced
        ? [prepared.file, prepared.args]
        : [NICE, ['-n', String(TASK_NICENESS), prepared.file, ...prepared.args]];
    child = io.launcher.spawn(file, args, {
      cwd: io.cwd,
      env: io.env,
      extraPipes: prepared.extraPipes,
      ...(prepared.enter === undefined ? {} : { enter: prepared.enter }),
    });
  } catch (err) {
    prepared?.discard();
    const error = `could not start ${prepared?.file ?? 'the task'}: ${message(err)}`;
    const end = { exitCode: null, signal: null, timedOut: false, durationMs: 0, error };
    const none = () => undefined;
    return {
      pid: undefined,
      end: Promise.resolve(end),
      terminate: none,
      suspend: none,
      resume: none,
      usage: none,
    };
  }
  const { file, attach, discard } = prepared;
  for (const [stream, tail] of [
    [child.stdio[1] as Readable | undefined, io.stdout],
    [child.stdio[2] as Readable | undefined, io.stderr],
  ] as const) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => tail.push(chunk));
    stream?.on('error', (err) => tail.note(`[kestrel] output lost: ${err.message}`));
  }
  // Through the spawn helper the process exists a moment after this returns: what is asked of it
  // meanwhile (terminate, suspend) is done once it does.
  let launched: Launched | undefined;
  let group: ReturnType<typeof createStopper> | undefined;
  let terminateWanted = false;
  let suspended = false;
  const onSpawn = () => {
    // Windows has no nice(1): the priority class is set as soon as the process exists.
    if (NICE === undefined && !prepared.niced && child.pid !== undefined) {
      try {
        setPriority(
          child.pid,
          isWindows ? constants.priority.PRIORITY_BELOW_NORMAL : TASK_NICENESS,
        );
      } catch {
        // It may have ended already.
      }
    }
    launched = attach(child, (line) => io.stderr.note(line));
    group = createStopper(launched.tree, io.killGraceMs);
    if (suspended) launched.tree.suspend();
    if (terminateWanted) terminateAll();
  };
  if (child.pid !== undefined) onSpawn();
  else child.once('spawn', onSpawn);
  function terminateAll(): void {
    if (group === undefined) terminateWanted = true;
    else group.terminate();
  }
  let timedOut = false;
  // The time limit counts the time the command may run: a suspension stops the clock.
  let left = io.timeoutMs;
  let armedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (left === undefined) return;
    armedAt = performance.now();
    timer = setTimeout(() => {
      timedOut = true;
      terminateAll();
    }, left);
  };
  const disarm = () => {
    if (timer === undefined || left === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    left = Math.max(1, left - (performance.now() - armedAt));
  };
  arm();
  let overMemoryMb: number | undefined;
  let lastCpu: number | undefined;
  const usage = () => {
    const now = launched?.tree.usage();
    if (now !== undefined) lastCpu = Math.max(lastCpu ?? 0, now.cpuSeconds);
    return now;
  };
  const limit = io.memoryLimitMb;
  const memoryCheck =
    limit === undefined || limit <= 0
      ? undefined
      : setInterval(() => {
          const rss = usage()?.rssMb;
          if (rss === undefined || rss <= limit || overMemoryMb !== undefined) return;
          overMemoryMb = Math.round(rss);
          terminateAll();
          if (suspended) launched?.tree.resume(); // a stopped process acts on SIGTERM only once it runs
        }, MEMORY_CHECK_MS);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ended = new Promise<{ code: number | null; signal: string | null } | { error: Error }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (error) => resolve({ error }));
    },
  );
  const destroyPipes = () => {
    for (const stream of child.stdio) stream?.destroy();
  };

  const end = (async (): Promise<ProcessEnd> => {
    const first = await ended;
    const durationMs = Math.round(performance.now() - started);
    clearTimeout(timer);
    clearInterval(memoryCheck);
    if ('error' in first) {
      destroyPipes();
      if (launched === undefined) {
        discard();
        const error = `could not start ${file}: ${first.error.message}`;
        return { exitCode: null, signal: null, timedOut, durationMs, error };
      }
      // It ran, but nothing tells its end any more (the spawn helper died): all of it is killed.
      launched.tree.kill();
      await launched.tree.release().catch((err: unknown) => {
        io.stderr.note(`[kestrel] ${message(err)}`);
      });
      return { exitCode: null, signal: null, timedOut, durationMs, error: first.error.message };
    }
    const { tree, exit } = launched ?? attach(child, (line) => io.stderr.note(line));
    // Processes the command left running in its group would outlive the task and its
    // working directory, and keep the output pipes open: they are stopped like a cancel.
    terminateAll();
    let capTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise((resolve) => (capTimer = setTimeout(resolve, io.killGraceMs + CLOSE_SLACK_MS))),
    ]);
    clearTimeout(capTimer);
    await group?.settle();
    const shell = await exit(first.code, first.signal);
    destroyPipes();
    usage(); // a cgroup still counts its ended processes until it is removed
    const cpu = lastCpu === undefined ? {} : { cpuSeconds: lastCpu };
    await tree.release().catch((err: unknown) => {
      io.stderr.note(`[kestrel] ${message(err)}`);
    });
    const over = overMemoryMb === undefined ? {} : { overMemoryMb };
    return { ...shell, timedOut, durationMs, ...over, ...cpu };
  })();
  return {
    get pid() {
      return child.pid;
    },
    end,
    terminate() {
      terminateAll();
      // A stopped process acts on SIGTERM only once it runs again.
      if (suspended) launched?.tree.resume();
      suspended = false;
    },
    suspend() {
      if (suspended) return;
      suspended = true;
      disarm();
      launched?.tree.suspend();
    },
    resume() {
      if (!suspended) return;
      suspended = false;
      launched?.tree.resume();
      arm();
    },
    usage,
  };
}
