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
    // Two rounds through the thread pool, not four: each round waits its turn there.
    const made = (dir: string) => mkdir(dir, { recursive: true });
    await Promise.all([made(cwd), made(own).then(() => Promise.all(inside.map(made)))]);
    return undefined;
  } catch (err) {
    return message(err);
  }
}

/** One directory: an rmdir when it is empty, a recursive rm when not; gone already is fine. */
async function removeOne(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * Removes a task's directories (those inside its own one before it). Most tasks leave them empty:
 * one rmdir each then, and a recursive rm only for those that are not (a stat and a listing per
 * entry); two rounds through the thread pool, as for making them.
 */
export async function removeWorkDir(
  dirs: { cwd: string; own: string; inside: readonly string[] },
  stderr: Tail,
): Promise<void> {
  try {
    await Promise.all([
      removeOne(dirs.cwd),
      Promise.all(dirs.inside.map(removeOne)).then(() => removeOne(dirs.own)),
    ]);
  } catch (err) {
    stderr.note(`[kestrel] could not remove working directory: ${message(err)}`);
  }
}

/** The job's directory, once the last of its tasks here has removed its own. */
export async function removeJobDir(jobDir: string, stderr: Tail): Promise<void> {
  try {
    await rmdir(jobDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Another of its tasks may have started here meanwhile.
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
    stderr.note(`[kestrel] could not remove working directory: ${message(err)}`);
  }
}
