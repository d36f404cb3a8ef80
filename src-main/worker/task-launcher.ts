// Starts the processes of tasks. On Linux through the spawn helper (src-native/spawn-helper.c,
// built into dist/native/ by `npm ci`), one per worker process, started with its first task:
// libuv forks, and the fork of a worker of some 100 MB took 3 ms of its one thread per task,
// where the helper's posix_spawn takes microseconds; it also starts a task in its cgroup and at
// its niceness (an Entry), which the worker does otherwise once the process exists. Elsewhere, or
// without the helper, directly: macOS's libuv uses posix_spawn, Windows has no fork.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { signalName } from './confinement.ts';
import { RemoteChild, TaskChildLostError, type TaskChild } from './remote-child.ts';
import {
  createFrameReader,
  encodeToHelper,
  type Entry,
  type FromHelper,
  type ToHelper,
} from './spawn-frames.ts';

const isWindows = process.platform === 'win32';

export interface LaunchOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Pipes after stdin, stdout and stderr (fd 3, 4, …). */
  extraPipes: number;
  /** Only where the launcher `enters`. */
  enter?: Entry;
}

export interface TaskLauncher {
  /** It takes an Entry: confinement.ts leaves the cgroup, niceness and gate to it. */
  readonly enters: boolean;
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

export const createDirectLauncher = (): TaskLauncher => ({ enters: false, spawn: spawnDirect });

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

interface Helper {
  process: ChildProcess;
  over: boolean;
  children: Map<number, RemoteChild>;
  /** Frames of this turn of the event loop, written together (one wake-up of the helper). */
  frames: Buffer[];
}

function post(h: Helper, frame: Buffer): void {
  if (h.over) return;
  h.frames.push(frame);
  if (h.frames.length > 1) return;
  process.nextTick(() => {
    const frames = h.frames.splice(0);
    if (!h.over) h.process.stdin?.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  });
}

/**
 * Tasks through the helper at `helper`. When it ends (killed, or unable to start), the tasks it
 * held fail with a TaskChildLostError and the next task starts a new one. `warn`: what it said
 * that cannot be understood (it is stopped then).
 */
export function createHelperLauncher(
  helper: string,
  warn: (message: string) => void = (message) => process.emitWarning(message, 'KestrelSpawnHelper'),
): TaskLauncher {
  let current: Helper | undefined;
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
    if (current === h) current = undefined;
    const held = [...h.children.values()];
    h.children.clear();
    for (const child of held)
      child.fail(
        new TaskChildLostError(
          h.process.pid === undefined
            ? `the spawn helper could not start (${why})`
            : `the spawn helper ended (${why}) while the task ran`,
        ),
      );
  }

  function start(): Helper {
    const proc = spawn(helper, [], {
      stdio: ['pipe', 'pipe', 'inherit'],
      // Not the worker's: each task's environment comes with its request.
      env: {},
      // Its own session: a Ctrl-C for the worker is the worker's to handle.
      detached: true,
    });
    const h: Helper = { process: proc, over: false, children: new Map(), frames: [] };
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
    proc.once('exit', (code, signal) => ended(h, signal ?? `exit code ${String(code)}`));
    // A write to a helper that is gone fails: its 'exit' says so. Without a pid it never started.
    proc.stdin?.on('error', () => undefined);
    proc.on('error', (err) => {
      if (proc.pid === undefined) ended(h, err.message);
    });
    return h;
  }

  return {
    enters: true,
    spawn(file, args, launch) {
      current ??= start();
      const h = current;
      const id = (nextId = (nextId + 1) >>> 0);
      const send = (m: ToHelper) => post(h, encodeToHelper(m));
      const child = new RemoteChild(
        launch.extraPipes,
        (fd, data, end) => send({ t: 'write', id, fd, data, end }),
        () => send({ t: 'forget', id }),
      );
      // Encoded first: a request the helper cannot take throws here, as spawn() would.
      const frame = encodeToHelper({
        t: 'spawn',
        id,
        file,
        argv: [file, ...args],
        cwd: launch.cwd,
        env: launch.env,
        extra: launch.extraPipes,
        ...(launch.enter === undefined ? {} : { enter: launch.enter }),
      });
      h.children.set(id, child);
      pipeOf(h.process.stdout)?.ref();
      post(h, frame);
      return child;
    },
  };
}

/**
 * The helper at `helper` if it runs here (it exits at once with nothing on its stdin), else
 * direct spawns and one warning: a worker that runs its tasks more slowly beats one that runs
 * none (a noexec mount, a build without a C compiler).
 */
export function chooseLauncher(
  helper: string | undefined,
  warn: (message: string) => void,
): TaskLauncher {
  if (process.platform !== 'linux') return createDirectLauncher();
  const trial = helper === undefined ? undefined : spawnSync(helper, [], { stdio: 'ignore' });
  if (helper !== undefined && trial?.status === 0) return createHelperLauncher(helper);
  const why =
    trial === undefined
      ? 'it is not built: npm ci builds it into dist/native/ with a C compiler'
      : (trial.error?.message ?? `it exited with ${String(trial.signal ?? trial.status)}`);
  warn(`the spawn helper cannot run (${why}): tasks are started directly, more slowly`);
  return createDirectLauncher();
}

let shared: TaskLauncher | undefined;

/** The launcher of this process's tasks: one helper for every executor in it. */
export function taskLauncher(): TaskLauncher {
  shared ??= chooseLauncher(builtHelper(), (message) =>
    process.emitWarning(message, 'KestrelSpawnHelper'),
  );
  return shared;
}
