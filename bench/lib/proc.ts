// CPU time and resident memory of a process, from /proc (Linux), to tell which process limits a
// figure: the one whose CPU time is close to the wall time is the bottleneck.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds the process has used so far. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** The process and all its descendants (a shell wrapper's broker, a prefork pool's children). */
export function withDescendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i += 1) {
    const p = out[i] as number;
    try {
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      if (children) out.push(...children.split(' ').map(Number));
    } catch {
      // Gone in the meantime.
    }
  }
  return out;
}

const sumCpu = (pids: number[]) =>
  pids.reduce((sum, pid) => {
    try {
      return sum + cpuMs(pid);
    } catch {
      return sum;
    }
  }, 0);

export interface CpuMeter {
  /** CPU used by each named process since the meter started, as a share of the wall time. */
  shares(): Record<string, number>;
}

/** Each entry: one process, or a group of them whose CPU is added up. */
export function meterCpu(pids: Record<string, number | number[]>): CpuMeter {
  const groups = Object.entries(pids).map(
    ([name, p]) => [name, Array.isArray(p) ? p : [p]] as const,
  );
  const t0 = performance.now();
  const start = new Map(groups.map(([name, list]) => [name, sumCpu(list)]));
  return {
    shares() {
      const wall = performance.now() - t0;
      return Object.fromEntries(
        groups.map(([name, list]) => [
          name,
          Number(((sumCpu(list) - (start.get(name) ?? 0)) / wall).toFixed(2)),
        ]),
      );
    },
  };
}
