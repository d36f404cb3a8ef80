// Starts the processes of tasks. On Linux through the spawn helper (src-native/spawn-helper.c,
// built into dist/native/ by `npm ci`), one per worker process, started with its first task:
// libuv forks, and the fork of a worker of some 100 MB took 3 ms of its one thread per task,
// where the helper's posix_spawn takes microseconds. Elsewhere, or without the helper, directly:
// macOS's libuv uses posix_spawn, Windows has no fork.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RemoteChild, TaskChildLostError, type TaskChild } from './remote-child.ts';
import {
  createFrameReader,
  encodeToHelper,
  type FromHelper,
  type ToHelper,
} from './spawn-frames.ts';

const isWindows = process.platform === 'win32';

export interface LaunchOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Pipes after stdin, stdout and stderr (fd 3, 4, …). */
  extraPipes: number;
}

export interface TaskLauncher {
  /** May throw (direct spawn); otherwise 'spawn' then 'exit' and 'close', or 'error'. */
  spawn(file: string, args: readonly string[], options: LaunchOptions): TaskChild;
}

function spawnDirect(file: string, args: readonly string[], options: LaunchOptions): ChildProcess {
  return spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', ...new Array<'pipe'>(options.extraPipes).fill('pipe')],
    detached: !isWindows,
    windowsHide: true,
    windowsVerbatimArguments: isWindows,
  });
}

export const createDirectLauncher = (): TaskLauncher => ({ spawn: spawnDirect });

/**
 * Where `npm ci` (scripts/build-native.sh) puts the helper: dist/native/ of the repository, or
 * beside the compiled code (dist/) in the app, outside its asar archive (electron-builder.yml).
 */
export function builtHelper(): string | undefined {
  const root = new URL('../../', import.meta.url);
  return [new URL('dist/native/kestrel-spawn', root), new URL('native/kestrel-spawn', root)]
    .map((url) => fileURLToPath(url).replace(/\bapp\.asar\b/, 'app.asar.unpacked'))
    .find((path) => existsSync(path));
}

/** A child's stdio pipes are sockets (ref/unref), typed as plain streams. */
const pipeOf = (stream: NodeJS.ReadableStream | NodeJS.WritableStream | null): Socket | null =>
  stream as Socket | null;

const signalName = (n: number): NodeJS.Signals =>
  (Object.entries(constants.signals).find(([, value]) => value === n)?.[0] ??
    `SIG${n}`) as NodeJS.Signals;

export interface HelperOptions {
  /** The helper's executable (a test names one that cannot start). */
  helper: string;
  /** Said once if the helper cannot start and tasks are started directly instead. */
  warn?: (message: string) => void;
}

interface Helper {
  process: ChildProcess;
  ready: boolean;
  over: boolean;
  /** What was asked before it ran: started here instead should it fail to start. */
  outbox: (ToHelper & { t: 'spawn' })[];
  children: Map<number, RemoteChild>;
}

/**
 * If the helper cannot start, tasks are started directly, as before it existed, with a warning:
 * a worker that runs its tasks more slowly beats one that runs none. If it ends later, the tasks
 * it held fail with a TaskChildLostError and the next task starts a new one.
 */
export function createHelperLauncher(options: HelperOptions): TaskLauncher {
  const warn = options.warn ?? ((message) => process.emitWarning(message, 'KestrelSpawnHelper'));
  let helper: Helper | undefined;
  let direct = false;
  let nextId = 0;

  function receive(h: Helper, m: FromHelper): void {
    const child = h.children.get(m.id);
    if (child === undefined) return;
    if (m.t === 'spawned') child.spawned(m.pid);
    else if (m.t === 'data') child.data(m.fd, m.data);
    else if (m.t === 'eof') child.eof(m.fd);
    else if (m.t === 'exit') child.exited(m.code, m.signal === null ? null : signalName(m.signal));
    else {
      forget(h, m.id);
      if (m.t === 'close') child.closed();
      else child.fail(new Error(m.message));
    }
  }

  // Its output keeps the worker alive only while it holds tasks.
  function forget(h: Helper, id: number): void {
    h.children.delete(id);
    if (h.children.size === 0) pipeOf(h.process.stdout)?.unref();
  }

  function ended(h: Helper, why: string): void {
    if (h.over) return;
    h.over = true;
    if (helper === h) helper = undefined;
    const held = new Map(h.children);
    h.children.clear();
    if (!h.ready) {
      direct = true;
      warn(`the spawn helper could not start (${why}): tasks are started directly`);
      for (const m of h.outbox.splice(0)) {
        const child = held.get(m.id);
        if (child === undefined) continue;
        try {
          const launch = { cwd: m.cwd, env: m.env, extraPipes: m.extra };
          child.adopt(spawnDirect(m.file, m.argv.slice(1), launch));
        } catch (err) {
          process.nextTick(() => child.fail(err as Error));
        }
      }
      return;
    }
    for (const child of held.values())
      child.fail(new TaskChildLostError(`the spawn helper ended (${why}) while the task ran`));
  }

  function start(): Helper {
    const proc = spawn(options.helper, [], {
      stdio: ['pipe', 'pipe', 'inherit'],
      // Not the worker's: each task's environment comes with its request.
      env: {},
      // Its own session: a Ctrl-C for the worker is the worker's to handle.
      detached: true,
    });
    const h: Helper = { process: proc, ready: false, over: false, outbox: [], children: new Map() };
    proc.unref();
    pipeOf(proc.stdin)?.unref();
    const reader = createFrameReader();
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (h.over) return;
      let frames: FromHelper[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        // Nothing it says can be trusted from here: its tasks fail as if it had died.
        warn(`the spawn helper is stopped: ${(err as Error).message}`);
        proc.kill('SIGKILL');
        ended(h, (err as Error).message);
        return;
      }
      for (const m of frames) receive(h, m);
    });
    proc.once('spawn', () => {
      h.ready = true;
      h.outbox.length = 0;
    });
    proc.once('exit', (code, signal) => ended(h, signal ?? `exit code ${String(code)}`));
    // A write to a helper that is gone fails: its 'exit' says so. Without a pid it never started.
    proc.stdin?.on('error', () => undefined);
    proc.on('error', (err) => {
      if (proc.pid === undefined) ended(h, err.message);
    });
    return h;
  }

  return {
    spawn(file, args, launch) {
      if (direct) return spawnDirect(file, args, launch);
      helper ??= start();
      const h = helper;
      const id = (nextId = (nextId + 1) >>> 0);
      const send = (m: ToHelper) => {
        if (!h.over) h.process.stdin?.write(encodeToHelper(m));
      };
      const child = new RemoteChild(
        launch.extraPipes,
        (fd, data, end) => send({ t: 'write', id, fd, data, end }),
        () => send({ t: 'forget', id }),
      );
      const request = {
        t: 'spawn' as const,
        id,
        file,
        argv: [file, ...args],
        cwd: launch.cwd,
        env: launch.env,
        extra: launch.extraPipes,
      };
      // Encoded first: a request the helper cannot take throws here, as spawn() would.
      const frame = encodeToHelper(request);
      h.children.set(id, child);
      pipeOf(h.process.stdout)?.ref();
      if (!h.ready) h.outbox.push(request);
      h.process.stdin?.write(frame);
      return child;
    },
  };
}

let shared: TaskLauncher | undefined;

/** The launcher of this process's tasks: one helper for every executor in it. */
export function taskLauncher(): TaskLauncher {
  if (shared !== undefined) return shared;
  const helper = process.platform === 'linux' ? builtHelper() : undefined;
  if (process.platform === 'linux' && helper === undefined)
    process.emitWarning(
      'the spawn helper is not built (npm ci builds it into dist/native/ with a C compiler): tasks are started directly, more slowly',
      'KestrelSpawnHelper',
    );
  shared = helper === undefined ? createDirectLauncher() : createHelperLauncher({ helper });
  return shared;
}
