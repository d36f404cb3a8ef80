// Task cgroups that a worker killed with SIGKILL left behind (its running tasks' and up to 16
// spares, named kestrel-PID-N): removed by the next worker when it looks for its cgroup, when empty
// and their worker is gone. A cgroup with processes in it cannot be removed (EBUSY), so nothing of
// a task that still runs is touched; one of a live worker is skipped by its pid.
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const NAME = /^kestrel-(\d+)-\d+$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: a process of another user has the pid.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the empty task cgroups of dead workers under `base`; returns how many went. */
export function removeLeftoverCgroups(base: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = NAME.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || alive(Number(pid))) continue;
    try {
      rmdirSync(join(base, name));
      removed += 1;
    } catch {
      // Not empty (a task of it still runs), or gone meanwhile.
    }
  }
  return removed;
}
