// Finding a task's processes by a marker in their command line, through /proc: never by name
// across the machine (other people's processes share it), and whatever pid namespace they run in.
import { readFileSync, readdirSync } from 'node:fs';

/** A number that appears in no other command line: `sleep 300.MARKER` carries it. */
export const newMarker = (): string => String(Math.floor(Math.random() * 1e9)).padStart(9, '1');

/** Pids (as this process sees them) of running processes whose command line holds `marker`. */
export function processesWith(marker: string): number[] {
  return readdirSync('/proc').flatMap((name) => {
    if (!/^\d+$/.test(name)) return [];
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return [];
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return cmdline.includes(marker) ? [Number(name)] : [];
    } catch {
      return [];
    }
  });
}
