// Runs one shell command line for a task: through the platform shell, in its own process group,
// with a bounded tail of its output and the kill rules of the worker (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';

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
  /** SIGTERM to the group now, SIGKILL after the grace if any member is left. Idempotent. */
  terminate(): void;
}

export interface ProcessIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number | undefined;
  killGraceMs: number;
  stdout: Tail;
  stderr: Tail;
}

export const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function shellInvocation(commandLine: string): { file: string; args: string[] } {
  // The same quoting Node uses for `shell: true`: /s strips the outer quotes, /d skips AutoRun.
  if (isWindows) {
    return { file: process.env.ComSpec ?? 'cmd.exe', args: ['/d', '/s', '/c', `"${commandLine}"`] };
  }
  return { file: '/bin/sh', args: ['-c', commandLine] };
}

// Signals the whole group (pgid = pid, as the leader was spawned detached with setsid) so that
// grandchildren die too. Windows has no groups or SIGTERM for console programs: taskkill /T /F
// ends the tree at once.
function createGroup(child: ChildProcess, graceMs: number) {
  const pid = child.pid;
  const alive = (): boolean => {
    if (pid === undefined) return false;
    if (isWindows) return child.exitCode === null && child.signalCode === null;
    try {
      process.kill(-pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const signal = (name: NodeJS.Signals): void => {
    if (pid === undefined) return;
    if (isWindows) {
      const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' });
      killer.on('error', () => undefined); // the tree may already be gone
      return;
    }
    try {
      process.kill(-pid, name);
    } catch {
      // ESRCH: the group ended between the check and the signal.
      return;
    }
  };
  let killed: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    alive,
    terminate(): void {
      if (killed !== undefined || !alive()) return;
      signal('SIGTERM');
      killed = new Promise((resolve) => {
        timer = setTimeout(() => {
          if (alive()) signal('SIGKILL');
          resolve();
        }, graceMs);
      });
    },
    /** Waits for the SIGKILL stage when members survived SIGTERM; otherwise drops it. */
    async settle(): Promise<void> {
      if (killed === undefined) return;
      if (alive()) await killed;
      else clearTimeout(timer);
    },
  };
}

export function startProcess(commandLine: string, io: ProcessIo): ProcessRun {
  const started = performance.now();
  const { file, args } = shellInvocation(commandLine);
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: io.cwd,
      env: io.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: !isWindows,
      windowsHide: true,
      windowsVerbatimArguments: isWindows,
    });
  } catch (err) {
    const error = `could not start ${file}: ${message(err)}`;
    const end = { exitCode: null, signal: null, timedOut: false, durationMs: 0, error };
    return { pid: undefined, end: Promise.resolve(end), terminate: () => undefined };
  }
  for (const [stream, tail] of [
    [child.stdout, io.stdout],
    [child.stderr, io.stderr],
  ] as const) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => tail.push(chunk));
    stream?.on('error', (err) => tail.note(`[kestrel] output lost: ${err.message}`));
  }
  const group = createGroup(child, io.killGraceMs);
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
      child.stdout?.destroy();
      child.stderr?.destroy();
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
    child.stdout?.destroy();
    child.stderr?.destroy();
    await group.settle();
    return { exitCode: first.code, signal: first.signal, timedOut, durationMs };
  })();
  return { pid: child.pid, end, terminate: () => group.terminate() };
}
