// Reading what the record.sh fixture leaves behind, and waiting on processes, in pool tests.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(import.meta.dirname, '../fixtures/tasks');
/** `sh record.sh OUT_DIR SECONDS` + INDEX: see the fixture. */
export const RECORD = join(FIXTURES, 'record.sh');

/**
 * Every output directory of the tests lies in one root, which test workers expose to their
 * sandboxed tasks (with FIXTURES): `--expose` in pool.ts. It stays, as a cache would; what is
 * in it is each test's own (mkdtemp) and removed by that test.
 */
export const OUTPUT_ROOT = join(tmpdir(), 'kestrel-test-out');
mkdirSync(OUTPUT_ROOT, { recursive: true, mode: 0o700 });

export function outputDir(): string {
  return mkdtempSync(join(OUTPUT_ROOT, 'o-'));
}

/** `--expose` for a test worker: the fixtures read-only, the output root writable. */
export const TEST_EXPOSE = `${FIXTURES},${OUTPUT_ROOT}:rw`;

/**
 * Pids, as seen here, of running processes whose command line holds `marker` (such as an output
 * directory): in a sandbox the pids that tasks write are those of its own namespace.
 */
export function processesWith(marker: string): number[] {
  return readdirSync('/proc').flatMap((name) => {
    if (!/^\d+$/.test(name) || !alive(Number(name))) return [];
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return cmdline.includes(marker) ? [Number(name)] : [];
    } catch {
      return [];
    }
  });
}

/** The lines record.sh appended for one index: one per completed run. */
export function linesOf(dir: string, index: number): string[] {
  const file = join(dir, String(index));
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

/** Pids of record.sh tasks running now, in their own pid namespace when sandboxed. */
export function runningPids(dir: string): number[] {
  const running = join(dir, 'running');
  if (!existsSync(running)) return [];
  return readdirSync(running).flatMap((f) => {
    const pid = Number(readFileSync(join(running, f), 'utf8'));
    return Number.isFinite(pid) && pid > 0 ? [pid] : [];
  });
}

export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Alive and not a zombie (this sandbox's pid 1 does not reap orphans). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !stat(pid)[0]?.startsWith('Z');
  } catch {
    return false;
  }
}

/** Fields of /proc/PID/stat after the command name: state, ppid, pgrp, … */
function stat(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

export function processGroup(pid: number): number {
  return Number(stat(pid)[2]);
}
