// A task's working directories: made before it starts, removed once it has ended (the job's
// directory with its last task here).
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { message, type Tail } from './shell-process.ts';

/**
 * Makes a task's working directory (and the job's, if need be), its own directory and the two in
 * it; the reason of the first failure, if any. Off the event loop, one mkdir each: on ext4 these
 * took 0.5–2.5 ms of the worker's one thread per task run when made synchronously.
 */
export async function makeWorkDirs(
  cwd: string,
  own: string,
  inside: readonly string[],
): Promise<string | undefined> {
  try {
    // Recursive, so that a directory left by an earlier run (a worker killed meanwhile) is fine.
    await mkdir(cwd, { recursive: true });
    await mkdir(own, { recursive: true });
    await Promise.all(inside.map((dir) => mkdir(dir, { recursive: true })));
    return undefined;
  } catch (err) {
    return message(err);
  }
}

/**
 * Removes a task's directories, deepest first (a directory after those inside it), then the
 * job's directory when `jobDir` is given (the last task of the job here has ended). Most tasks
 * leave their directories empty: one rmdir each then, and a recursive rm only for those that
 * are not (it costs a stat and a listing per entry, a few milliseconds a task on ext4).
 */
export async function removeWorkDir(
  dirs: string[],
  jobDir: string | undefined,
  stderr: Tail,
): Promise<void> {
  try {
    for (const dir of dirs) {
      try {
        await rmdir(dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    }
    if (jobDir !== undefined) await rmdir(jobDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The job's directory: another of its tasks may have started here meanwhile.
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
    stderr.note(`[kestrel] could not remove working directory: ${message(err)}`);
  }
}
