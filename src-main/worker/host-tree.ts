// Every process a task started, when it runs without a sandbox: a cgroup v2 of its own where one
// can be made (cgroup.kill ends it all, `setsid` or not), else a walk of /proc by process group,
// session and parent, else (macOS) the process group alone. Windows ends the tree with taskkill.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { removeLeftoverCgroups } from './cgroup-leftovers.ts';
import type { TaskTree } from './confinement.ts';
import {
  cgroupUsage,
  continueAll,
  type TaskUsage,
  freezeCgroup,
  procStatFields,
  procUsage,
  stopAll,
} from './task-usage.ts';

const isWindows = process.platform === 'win32';

function send(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    // ESRCH: already gone. EPERM: it exists but is not ours (then it counts as alive).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const groupAlive = (pid: number): boolean => send(-pid, 0);

/** The process group of the shell (the spawn is detached: pgid = pid), as Kestrel always did. */
export function createGroupTree(pid: number | undefined, exited: () => boolean): TaskTree {
  const sendGroup = (signal: NodeJS.Signals) => {
    if (pid === undefined) return;
    if (isWindows) {
      const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' });
      killer.on('error', () => undefined); // the tree may already be gone
      return;
    }
    send(-pid, signal);
  };
  // macOS: the group is all that can be found. Windows would need the job object's threads
  // suspended (NtSuspendProcess), which Node does not offer: there a task cannot be suspended.
  const signalGroup = (signal: NodeJS.Signals) => {
    if (pid !== undefined && !isWindows) send(-pid, signal);
  };
  return {
    alive: () => (pid === undefined ? false : isWindows ? !exited() : groupAlive(pid)),
    terminate: () => sendGroup('SIGTERM'),
    kill: () => sendGroup('SIGKILL'),
    release: async () => undefined,
    suspend: () => signalGroup('SIGSTOP'),
    resume: () => signalGroup('SIGCONT'),
    usage: () => undefined,
  };
}

// --- cgroup v2 -------------------------------------------------------------------------------

/** Where this process may make child cgroups: its own cgroup v2, if writable and new enough. */
export function findCgroupBase(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const own = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    const mount = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .find((f) => f[f.indexOf('-') + 1] === 'cgroup2')?.[4];
    if (own === undefined || mount === undefined) return undefined;
    const base = join(mount, own);
    // cgroup.kill (Linux 5.14) is what makes this worth it: one write ends every process.
    if (!existsSync(join(base, 'cgroup.kill')) && own !== '/') return undefined;
    const probe = join(base, `kestrel-probe-${process.pid}`);
    mkdirSync(probe);
    const usable = existsSync(join(probe, 'cgroup.kill'));
    rmdirSync(probe);
    if (!usable) return undefined;
    removeLeftoverCgroups(base);
    return base;
  } catch {
    return undefined;
  }
}

let counter = 0;

/**
 * Empty task cgroups kept for the next run, with where each was made. Making and removing one per
 * task run takes the kernel's cgroup lock twice; on a busy machine that was up to a millisecond
 * of the worker's one thread per task. A cgroup is kept only once its processes have all left it
 * (nothing of a task is ever in the next one), thawed, and at most SPARE_CGROUPS of them.
 */
const spare: string[] = [];
const SPARE_CGROUPS = 16;
const baseOf = new Map<string, string>();
/** cpu.stat counts for the life of a cgroup: what a kept one had counted before this run. */
const usedBefore = new Map<string, number>();
/**
 * Cgroups once ended with cgroup.kill are never kept: on Linux 6.x kernels with the kill_seq
 * counter, a process started into such a cgroup (clone3 CLONE_INTO_CGROUP, the spawn helper)
 * compares the counter of its parent's cgroup with this one's and is SIGKILLed at birth.
 */
const killedOnce = new Set<string>();

/** SIGKILL to every process of a task cgroup; false where the kernel has no cgroup.kill. */
export function killCgroup(dir: string): boolean {
  killedOnce.add(dir);
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return true;
  } catch {
    return false;
  }
}

function cpuUsec(dir: string): number | undefined {
  try {
    const usec = /^usage_usec (\d+)$/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1];
    return usec === undefined ? undefined : Number(usec);
  } catch {
    return undefined;
  }
}

/** A cgroup for one process run (an empty kept one, or a new one); the shell moves itself in. */
export function makeTaskCgroup(base: string): string {
  const index = spare.findIndex((dir) => baseOf.get(dir) === base);
  if (index >= 0) {
    const [dir] = spare.splice(index, 1);
    if (dir !== undefined) {
      usedBefore.set(dir, cpuUsec(dir) ?? 0);
      return dir;
    }
  }
  // A worker killed with SIGKILL leaves its cgroups behind: one of a later process with the same
  // pid may still be there.
  let dir: string;
  for (;;) {
    counter += 1;
    dir = join(base, `kestrel-${process.pid}-${counter}`);
    try {
      mkdirSync(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  baseOf.set(dir, base);
  usedBefore.delete(dir);
  return dir;
}

/** What a task cgroup's processes used in this run (cgroupUsage counts since it was made). */
export function taskCgroupUsage(dir: string, pids: readonly number[]): TaskUsage | undefined {
  const usage = cgroupUsage(dir, pids);
  const before = usedBefore.get(dir);
  if (usage === undefined || before === undefined) return usage;
  return { ...usage, cpuSeconds: Math.max(0, usage.cpuSeconds - before / 1e6) };
}

function removeSpare(): void {
  for (const dir of spare.splice(0)) {
    try {
      rmdirSync(dir);
    } catch {
      // Gone already, or busy: nothing more to do as the process ends.
    }
  }
}
process.once('exit', removeSpare);

export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  } catch {
    return [];
  }
}

export function createCgroupTree(dir: string, pid: number | undefined): TaskTree {
  return {
    // The group too: until the shell has moved itself in, the cgroup is empty.
    alive: () => cgroupPids(dir).length > 0 || (pid !== undefined && groupAlive(pid)),
    terminate() {
      if (pid !== undefined) send(-pid, 'SIGTERM');
      for (const member of cgroupPids(dir)) send(member, 'SIGTERM');
    },
    kill() {
      if (pid !== undefined) send(-pid, 'SIGKILL');
      if (!killCgroup(dir)) for (const member of cgroupPids(dir)) send(member, 'SIGKILL');
    },
    release: () => releaseCgroup(dir),
    suspend: () => freezeCgroup(dir, true),
    resume: () => freezeCgroup(dir, false),
    usage: () => taskCgroupUsage(dir, cgroupPids(dir)),
  };
}

/** Keeps a task's cgroup for the next run, or removes it, once its processes have left it. */
export async function releaseCgroup(dir: string): Promise<void> {
  // A frozen cgroup keeps its killed processes until it thaws.
  freezeCgroup(dir, false);
  // Killed processes leave the cgroup a moment after the signal: rmdir is EBUSY until then.
  for (let tries = 0; tries < 50; tries += 1) {
    const keep = spare.length < SPARE_CGROUPS && baseOf.has(dir) && !killedOnce.has(dir);
    if (keep && cgroupPids(dir).length === 0) {
      spare.push(dir);
      return;
    }
    try {
      rmdirSync(dir);
      forget(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return forget(dir);
      if (code !== 'EBUSY') throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`cgroup ${dir} still has processes`);
}

function forget(dir: string): void {
  baseOf.delete(dir);
  usedBefore.delete(dir);
  killedOnce.delete(dir);
}

// --- /proc walk ------------------------------------------------------------------------------

interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Start time in clock ticks: with the pid, names one process even after pids are reused. */
  start: string;
}

function readProcs(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = procStatFields(name);
    if (fields === undefined || fields[0] === 'Z') continue;
    entries.push({
      pid: Number(name),
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      sid: Number(fields[3]),
      start: fields[19] ?? '',
    });
  }
  return entries;
}

/**
 * Best effort: the shell's group and session, and every descendant of a member by parent pid.
 * Misses a daemon that both left the session (setsid) and lost its parent (double fork) before
 * the walk: it was reparented to init and shares nothing with the task any more.
 */
export function taskProcesses(leader: number, procs: ProcEntry[]): ProcEntry[] {
  const members = new Set<number>();
  for (const p of procs)
    if (p.pgid === leader || p.sid === leader || p.pid === leader) members.add(p.pid);
  let grown = true;
  while (grown) {
    grown = false;
    for (const p of procs) {
      if (!members.has(p.pid) && members.has(p.ppid)) {
        members.add(p.pid);
        grown = true;
      }
    }
  }
  return procs.filter((p) => members.has(p.pid));
}

export function createProcWalkTree(pid: number | undefined): TaskTree {
  // Members seen once stay targets: a child that setsid()s after its parent has gone is
  // still found through the earlier walk.
  const known = new Set<string>();
  const members = (): number[] => {
    if (pid === undefined) return [];
    const procs = readProcs();
    for (const p of taskProcesses(pid, procs)) known.add(`${p.pid}:${p.start}`);
    return procs.filter((p) => known.has(`${p.pid}:${p.start}`)).map((p) => p.pid);
  };
  const signalAll = (signal: NodeJS.Signals) => {
    // Walk first: once the shell is dead, its children belong to init and the walk misses them.
    const found = members();
    if (pid !== undefined) send(-pid, signal);
    for (const member of found) send(member, signal);
  };
  return {
    alive: () => pid !== undefined && (groupAlive(pid) || members().length > 0),
    terminate: () => signalAll('SIGTERM'),
    kill: () => signalAll('SIGKILL'),
    release: async () => undefined,
    suspend: () => stopAll(members),
    resume: () => continueAll(members()),
    usage: () => procUsage(members()),
  };
}
