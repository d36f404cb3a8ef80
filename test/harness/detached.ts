// Servers that detach from their starter (ejabberd's beam, PostgreSQL's postmaster) are not our
// children: we know them by the PID they write, watch them through /proc, and signal that PID only.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether process `pid` still runs: whether any of its threads does. The detached beam's parent
 * is init, which may reap it seconds later (~1.7 s measured in our sandbox), so its exit shows
 * as zombie threads; and the main thread can turn zombie while others are still shutting down.
 */
export function isAlive(pid: number): boolean {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return threads.some((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The field after "(comm) " is the state (proc(5)): Z zombie, X dead.
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  });
}

export async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
