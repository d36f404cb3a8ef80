// Runs one shell command line for a task: through the platform shell, in its own process group
// (and sandbox, see confinement.ts), with a bounded tail of its output and the kill rules of the
// worker (SIGTERM, then SIGKILL to everything the command started).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Confinement, Prepared, TaskTree } from './confinement.ts';

const isWindows = process.platform === 'win32';
/** How long stdout/stderr may stay open after the command exits, beyond the kill grace. */
const CLOSE_SLACK_MS = 500;

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
  durationMs: number;
  error?: string;
}

export interface ProcessRun {
  pid: number | undefined;
  end: Promise<ProcessEnd>;
  /** SIGTERM to the group now, SIGKILL after the grace if any process is left. Idempotent. */
  terminate(): void;
}

export interface ProcessIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number | undefined;
  killGraceMs: number;
  stdout: Tail;
  stderr: Tail;
  confinement: Confinement;
  /** The task's private directories that the sandbox shows besides cwd. */
  own: readonly string[];
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
  let child: ChildProcess;
  try {
    prepared = io.confinement.prepare(commandLine, io.cwd, io.own);
    child = spawn(prepared.file, prepared.args, {
      cwd: io.cwd,
      env: io.env,
      stdio: ['ignore', 'pipe', 'pipe', ...new Array<'pipe'>(prepared.extraPipes).fill('pipe')],
      detached: !isWindows,
      windowsHide: true,
      windowsVerbatimArguments: isWindows,
    });
  } catch (err) {
    prepared?.discard();
    const error = `could not start ${prepared?.file ?? 'the task'}: ${message(err)}`;
    const end = { exitCode: null, signal: null, timedOut: false, durationMs: 0, error };
    return { pid: undefined, end: Promise.resolve(end), terminate: () => undefined };
  }
  const file = prepared.file;
  for (const [stream, tail] of [
    [child.stdout, io.stdout],
    [child.stderr, io.stderr],
  ] as const) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => tail.push(chunk));
    stream?.on('error', (err) => tail.note(`[kestrel] output lost: ${err.message}`));
  }
  const launched = prepared.attach(child);
  const group = createStopper(launched.tree, io.killGraceMs);
  let timedOut = false;
  const timer =
    io.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          group.terminate();
        }, io.timeoutMs);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ended = new Promise<{ code: number | null; signal: string | null } | { error: Error }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (error) => resolve({ error }));
    },
  );

  const end = (async (): Promise<ProcessEnd> => {
    const first = await ended;
    const durationMs = Math.round(performance.now() - started);
    clearTimeout(timer);
    if ('error' in first) {
      for (const stream of child.stdio) stream?.destroy();
      await launched.tree.release().catch(() => undefined);
      const error = `could not start ${file}: ${first.error.message}`;
      return { exitCode: null, signal: null, timedOut, durationMs, error };
    }
    // Processes the command left running in its group would outlive the task and its
    // working directory, and keep the output pipes open: they are stopped like a cancel.
    group.terminate();
    let capTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise((resolve) => (capTimer = setTimeout(resolve, io.killGraceMs + CLOSE_SLACK_MS))),
    ]);
    clearTimeout(capTimer);
    await group.settle();
    const shell = await launched.exit(first.code, first.signal);
    for (const stream of child.stdio) stream?.destroy();
    await launched.tree.release().catch((err: unknown) => {
      io.stderr.note(`[kestrel] ${message(err)}`);
    });
    return { ...shell, timedOut, durationMs };
  })();
  return { pid: child.pid, end, terminate: () => group.terminate() };
}
