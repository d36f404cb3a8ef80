// Suspending a whole task and measuring what it uses, whatever holds its processes: a cgroup v2
// of its own (the freezer stops every member at once and cpu.stat counts even the ones that
// ended), else its processes as found in /proc (SIGSTOP each, repeated until no new one appears,
// since a process can fork between the walk and its stop).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a task's processes have used. */
export interface TaskUsage {
  /** CPU time (user + system) of every process of the task so far, ended ones included where the platform can tell. */
  cpuSeconds: number;
  /** Resident memory of its live processes (shared pages count once per process). */
  rssMb: number;
}

let clockTicks: number | undefined;
/** USER_HZ, the unit of /proc/PID/stat's times (proc(5)); 100 on every common Linux. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout;
    const value = Number(out?.trim());
    clockTicks = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return clockTicks;
}

/**
 * The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses):
 * state ppid pgrp sid … utime stime cutime cstime (11–14) … starttime (19); see proc(5).
 */
export function procStatFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // ended meanwhile
  }
}

/** `root` and every live process below it by parent pid (a sandbox's PID 1 reaps its orphans). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = procStatFields(name);
    if (f === undefined || f[0] === 'Z') continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(name));
    else children.set(ppid, [Number(name)]);
  }
  const out = [root];
  for (let i = 0; i < out.length; i += 1) out.push(...(children.get(out[i] ?? -1) ?? []));
  return out;
}

/**
 * Live processes' CPU time, with the time of the children each has reaped (cutime, cstime):
 * a child is counted by itself until its parent waits for it, then in its parent.
 */
function procCpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = procStatFields(pid);
    if (f === undefined) continue;
    for (const i of [11, 12, 13, 14]) ticks += Number(f[i] ?? 0);
  }
  return ticks / ticksPerSecond();
}

function procRssMb(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(line?.[1] ?? 0);
    } catch {
      // ended meanwhile
    }
  }
  return kb / 1024;
}

export function procUsage(pids: readonly number[]): TaskUsage {
  return { cpuSeconds: procCpuSeconds(pids), rssMb: procRssMb(pids) };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/**
 * SIGSTOP to every member, then again to members that appeared meanwhile (forked before their
 * parent stopped), until a walk finds no new one. A stopped process cannot fork, so this ends.
 */
export function stopAll(members: () => number[]): void {
  const stopped = new Set<number>();
  for (let pass = 0; pass < 20; pass += 1) {
    const fresh = members().filter((pid) => !stopped.has(pid));
    if (fresh.length === 0) return;
    for (const pid of fresh) {
      signal(pid, 'SIGSTOP');
      stopped.add(pid);
    }
  }
}

export function continueAll(pids: readonly number[]): void {
  for (const pid of pids) signal(pid, 'SIGCONT');
}

/** cgroup v2 freezer (Linux 5.2): every process of the cgroup stops, and new ones start frozen. */
export function freezeCgroup(dir: string, frozen: boolean): void {
  try {
    writeFileSync(join(dir, 'cgroup.freeze'), frozen ? '1' : '0');
  } catch {
    // The cgroup is gone with its last process.
  }
}

export function cgroupUsage(dir: string, pids: readonly number[]): TaskUsage | undefined {
  try {
    const usec = /^usage_usec (\d+)$/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1];
    if (usec === undefined) return undefined;
    return { cpuSeconds: Number(usec) / 1e6, rssMb: procRssMb(pids) };
  } catch {
    return undefined;
  }
}
