// A task's working directories: made before it starts, removed once it has ended (the job's
// directory with its last task).
import { mkdirSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { message, type Tail } from './shell-process.ts';

// Synchronous so that `pid` is known when run() returns; creating a directory is cheap.
export function makeWorkDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    return undefined;
  } catch (err) {
    return message(err);
  }
}

export async function removeWorkDir(dirs: string[], jobDir: string, stderr: Tail): Promise<void> {
  try {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    // Other tasks of the job may still use the job directory: it goes only once empty.
    await rmdir(jobDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
    stderr.note(`[kestrel] could not remove working directory: ${message(err)}`);
  }
}
