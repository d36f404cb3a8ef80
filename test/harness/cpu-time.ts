// CPU time of test tasks, read from /proc as anyone could: the busy loop of spin.sh runs as
// `sh -c … spin-MARKER`, whatever pid namespace it is in.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processesWith } from './task-output.ts';

let markers = 0;
/** A marker no other command line holds. */
export const newMarker = (): string =>
  `${process.pid}x${++markers}x${Math.floor(Math.random() * 1e6)}`;

/** CPU seconds (user + system) of spin-MARKER's processes, from /proc/PID/stat (USER_HZ 100). */
export function cpuOf(marker: string): number {
  let ticks = 0;
  for (const pid of processesWith(`spin-${marker}`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // ended meanwhile
    }
  }
  return ticks / 100;
}

/**
 * A busy process of the test's own: CPU time it accumulates is the clock against which "the
 * task's CPU time did not grow" is measured, without a fixed sleep.
 */
export function startControl(): { marker: string; child: ChildProcess; stop(): void } {
  const marker = newMarker();
  const child = spawn('sh', ['-c', 'while :; do :; done', `spin-${marker}`], { stdio: 'ignore' });
  return { marker, child, stop: () => void child.kill('SIGKILL') };
}

export async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once `marker`'s task has used no CPU while the control used `seconds` of it. */
export async function expectStopped(marker: string, control: string, seconds = 0.5): Promise<void> {
  const c0 = cpuOf(control);
  await until(() => cpuOf(control) >= c0 + 0.05, 'the control to run');
  const held = cpuOf(marker);
  const c1 = cpuOf(control);
  await until(() => cpuOf(control) >= c1 + seconds, `the control to use ${seconds} s more`);
  const grew = cpuOf(marker) - held;
  if (grew > 0.01)
    throw new Error(`task ${marker} ran ${grew.toFixed(2)} s of CPU while it should be suspended`);
}
