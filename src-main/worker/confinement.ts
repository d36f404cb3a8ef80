// How one command line of a task is started and how everything it started is found again to be
// stopped: in the bubblewrap sandbox (its PID namespace holds the whole task), or on the host
// (a cgroup of its own, a /proc walk, or the process group: see host-tree.ts).
import type { Readable, Writable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import { constants, setPriority } from 'node:os';
import { join } from 'node:path';
import {
  cgroupPids,
  createCgroupTree,
  createGroupTree,
  createProcWalkTree,
  killCgroup,
  makeTaskCgroup,
  releaseCgroup,
  taskCgroupUsage,
} from './host-tree.ts';
import { TASK_NICENESS } from './niceness.ts';
import type { TaskChild } from './remote-child.ts';
import type { Entry } from './spawn-frames.ts';
import {
  BLOCK_FD,
  INFO_FD,
  parseStatus,
  STATUS_FD,
  type Exposure,
  type Sandbox,
} from './sandbox.ts';
import {
  continueAll,
  descendants,
  freezeCgroup,
  procUsage,
  stopAll,
  type TaskUsage,
} from './task-usage.ts';

const isWindows = process.platform === 'win32';

/** The processes of one running command line. */
export interface TaskTree {
  /** Any of them is still running. */
  alive(): boolean;
  /** SIGTERM to the shell's process group, and to what left it where that can be seen. */
  terminate(): void;
  /** SIGKILL to every process of the task. */
  kill(): void;
  /** Frees what the tree held once it is empty (a cgroup). */
  release(): Promise<void>;
  /** Stops every process of the task where it stands (no-op where the platform cannot). */
  suspend(): void;
  resume(): void;
  /** What the task's processes use now; undefined where the platform cannot tell. */
  usage(): TaskUsage | undefined;
}

export interface ShellExit {
  exitCode: number | null;
  signal: string | null;
}

export interface Launched {
  tree: TaskTree;
  /** The shell's own end, from the exit of the spawned process. */
  exit(code: number | null, signal: string | null): Promise<ShellExit>;
}

/** One command line ready to spawn: `attach` once spawned, `discard` if the spawn failed. */
export interface Prepared {
  file: string;
  args: string[];
  /** Pipes after stdin, stdout and stderr (fd 3, 4, …). */
  extraPipes: number;
  /** The command gets the tasks' niceness before it starts (else nice(1) goes in front). */
  niced: boolean;
  /** For a launcher that `enters`: its cgroup, niceness and gate, then left alone by attach. */
  enter?: Entry;
  /** `note`: a line for the task's stderr tail (why it could not start as it should). */
  attach(child: TaskChild, note: (line: string) => void): Launched;
  discard(): void;
}

export interface Confinement {
  /** How the processes of a task are found again: for logs, docs and tests. */
  readonly method: 'bubblewrap' | 'cgroup' | 'proc-walk' | 'group';
  /**
   * `own`: the task's private directories (home, temp), writable like its working directory.
   * `enters`: the launcher starts the process in its cgroup (task-launcher.ts).
   */
  prepare(commandLine: string, cwd: string, own: readonly string[], enters: boolean): Prepared;
}

/**
 * Moves a process into a cgroup off the event loop: the kernel takes a millisecond or more for
 * it (a write of cgroup.procs waits for an RCU grace period), 16 % of a busy worker's main thread
 * when it was written synchronously.
 */
const joinCgroup = (dir: string, pid: number): Promise<void> =>
  writeFile(join(dir, 'cgroup.procs'), String(pid));

/** The write end of an extra pipe of the child (a gate the task waits on). */
const gateOf = (child: TaskChild, fd: number): Writable | undefined =>
  (child.stdio[fd] as Writable | null | undefined) ?? undefined;

/** The name of a signal number, as Node gives it (`SIGTERM`). */
export const signalName = (n: number): NodeJS.Signals =>
  (Object.entries(constants.signals).find(([, value]) => value === n)?.[0] ??
    `SIG${n}`) as NodeJS.Signals;

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * The sandbox's PID 1 is the status reporter (sandbox.ts); its host pid comes on bwrap's info
 * pipe. The shell runs in PID 1's process group, so SIGTERM to that group is today's SIGTERM to
 * the shell's group; SIGKILL to PID 1 ends the namespace and so every process in it. Where a
 * cgroup can be made (`cgroupBase`), PID 1 is moved into one of its own before the sandbox starts
 * anything (bwrap waits on its --block-fd until then), so that suspending the task is one write to
 * its freezer and its CPU time counts the processes that ended too. PID 1 lowers its own priority
 * first thing. bwrap is spawned directly: no nice(1), no shell to join the cgroup, two execs per
 * task fewer.
 */
export function createSandboxConfinement(
  sandbox: Sandbox,
  exposures: readonly Exposure[],
  cgroupBase?: string,
): Confinement {
  return {
    method: 'bubblewrap',
    prepare(commandLine, cwd, own, enters) {
      const dir = cgroupBase === undefined ? undefined : makeTaskCgroup(cgroupBase);
      // Started in its cgroup, bwrap and so all of the sandbox are in it from the first
      // instruction: the gate opens at once.
      const enter =
        dir === undefined || !enters
          ? undefined
          : { cgroup: dir, nice: TASK_NICENESS, gate: { fd: BLOCK_FD, data: '1' } };
      const args = sandbox.args(
        commandLine,
        cwd,
        [...exposures, ...own.map((path) => ({ path, writable: true }))],
        dir !== undefined,
      );
      return {
        file: sandbox.bwrap,
        args,
        extraPipes: dir === undefined ? 2 : 3,
        niced: true,
        ...(enter === undefined ? {} : { enter }),
        attach: (child, note) => attachSandboxed(child, dir, enter !== undefined, note),
        discard: () => void (dir && releaseCgroup(dir).catch(() => undefined)),
      };
    },
  };
}

/**
 * `sh -c GATE_THEN_EVAL /bin/sh COMMAND`: wait until the worker has put this shell in the task's
 * cgroup and set its niceness (it writes `go` on GATE_FD), then run COMMAND in this very shell, as
 * `/bin/sh -c COMMAND` would ($0 is /bin/sh, no positional parameters): one exec per task where
 * nice(1) and a joining shell took three. Its two variables are the only trace of the gate.
 */
const GATE_FD = 3;
const GATE_THEN_EVAL = [
  'IFS= read -r __kestrel_gate <&3',
  'exec 3<&-',
  '[ "$__kestrel_gate" = go ] || exit 125',
  '__kestrel_command=$1',
  'shift',
  'eval "$__kestrel_command"',
].join('; ');

function attachSandboxed(
  child: TaskChild,
  cgroup: string | undefined,
  entered: boolean,
  note: (line: string) => void,
): Launched {
  let init: number | undefined;
  let termPending = false;
  let killed = false;
  let status = '';
  const info = child.stdio[INFO_FD] as Readable | undefined;
  const statusPipe = child.stdio[STATUS_FD] as Readable | undefined;
  const gate = gateOf(child, BLOCK_FD);
  gate?.on('error', () => undefined);
  let infoText = '';
  info?.on('data', (chunk: Buffer) => {
    infoText += chunk.toString();
    const pid = /"child-pid":\s*(\d+)/.exec(infoText)?.[1];
    if (init !== undefined || pid === undefined) return;
    init = Number(pid);
    if (cgroup !== undefined && gate && !entered) {
      // PID 1 waits on the gate: nothing of the task exists yet, so all of it starts inside.
      joinCgroup(cgroup, init).then(
        () => gate.end('1'),
        (err: unknown) => {
          note(`[kestrel] could not start the task in its cgroup: ${(err as Error).message}`);
          tree.kill();
        },
      );
    }
    if (termPending) send(-init, 'SIGTERM');
  });
  info?.on('error', () => undefined);
  const reported = new Promise<void>((resolve) => {
    if (!statusPipe) return resolve();
    statusPipe.on('data', (chunk: Buffer) => (status += chunk.toString()));
    statusPipe.on('error', () => resolve());
    statusPipe.on('close', () => resolve());
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  // Without a cgroup: PID 1 and everything below it (orphans of the namespace are reparented to
  // PID 1, so nothing escapes the walk); bwrap itself only waits and is left alone.
  const members = () => (init === undefined ? [] : descendants(init));
  const tree: TaskTree = {
    alive: () => child.pid !== undefined && !exited(),
    terminate() {
      if (init === undefined) termPending = true;
      else send(-init, 'SIGTERM');
    },
    kill() {
      killed = true;
      if (cgroup !== undefined) killCgroup(cgroup);
      if (init !== undefined) send(init, 'SIGKILL');
      // Before PID 1 exists, or should it linger: bwrap's death kills it (--die-with-parent).
      if (child.pid !== undefined) send(child.pid, 'SIGKILL');
    },
    release: () => (cgroup === undefined ? Promise.resolve() : releaseCgroup(cgroup)),
    suspend: () => (cgroup === undefined ? stopAll(members) : freezeCgroup(cgroup, true)),
    resume: () => (cgroup === undefined ? continueAll(members()) : freezeCgroup(cgroup, false)),
    usage: () =>
      cgroup === undefined ? procUsage(members()) : taskCgroupUsage(cgroup, cgroupPids(cgroup)),
  };
  return {
    tree,
    async exit(code, signal) {
      await reported;
      const end = parseStatus(status);
      if (end) {
        return {
          exitCode: end.exitCode,
          signal: end.signal === null ? null : signalName(end.signal),
        };
      }
      // No report: PID 1 was killed (our SIGKILL after the grace) or bwrap failed to set up
      // the sandbox (its message is in the stderr tail).
      if (killed) return { exitCode: null, signal: 'SIGKILL' };
      return { exitCode: code, signal };
    },
  };
}

function shellInvocation(commandLine: string): { file: string; args: string[] } {
  // The same quoting Node uses for `shell: true`: /s strips the outer quotes, /d skips AutoRun.
  if (isWindows) {
    return { file: process.env.ComSpec ?? 'cmd.exe', args: ['/d', '/s', '/c', `"${commandLine}"`] };
  }
  return { file: '/bin/sh', args: ['-c', commandLine] };
}

/** Without a sandbox: a cgroup under `cgroupBase` per command line, else a /proc walk. */
export function createHostConfinement(cgroupBase: string | undefined): Confinement {
  const direct = (tree: TaskTree): Launched => ({
    tree,
    exit: async (exitCode, signal) => ({ exitCode, signal }),
  });
  if (cgroupBase !== undefined) {
    return {
      method: 'cgroup',
      prepare(commandLine, _cwd, _own, enters) {
        const dir = makeTaskCgroup(cgroupBase);
        const tree = (pid: number | undefined) => createCgroupTree(dir, pid);
        const common = {
          file: '/bin/sh',
          args: ['-c', GATE_THEN_EVAL, '/bin/sh', commandLine],
          extraPipes: 1,
          niced: true,
          discard: () =>
            void tree(undefined)
              .release()
              .catch(() => undefined),
        };
        if (enters) {
          const gate = { fd: GATE_FD, data: 'go\n' };
          const enter = { cgroup: dir, nice: TASK_NICENESS, gate };
          return { ...common, enter, attach: (child) => direct(tree(child.pid)) };
        }
        return {
          ...common,
          attach(child, note) {
            const gate = gateOf(child, GATE_FD);
            gate?.on('error', () => undefined);
            // The shell waits on the gate: nothing of the task runs before it is in its cgroup,
            // at its niceness (inherited by everything it starts).
            const pid = child.pid;
            (pid === undefined ? Promise.reject(new Error('no pid')) : joinCgroup(dir, pid))
              .then(() => {
                if (pid !== undefined) setPriority(pid, TASK_NICENESS);
                gate?.end('go\n');
              })
              .catch((err: unknown) => {
                note(`[kestrel] could not start the task in its cgroup: ${(err as Error).message}`);
                gate?.end();
              });
            return direct(tree(child.pid));
          },
        };
      },
    };
  }
  const linux = process.platform === 'linux';
  return {
    method: linux ? 'proc-walk' : 'group',
    prepare: (commandLine) => ({
      ...shellInvocation(commandLine),
      extraPipes: 0,
      niced: false,
      attach: (child) =>
        direct(
          linux
            ? createProcWalkTree(child.pid)
            : createGroupTree(
                child.pid,
                () => child.exitCode !== null || child.signalCode !== null,
              ),
        ),
      discard: () => undefined,
    }),
  };
}
