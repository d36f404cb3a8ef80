// The README's "run the main job" command: a head node with local workers and a sample job.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('kestrel demo', () => {
  it('runs a sample job on a head node with local workers to job_finished and exits 0', async () => {
    const { stdout } = await promisify(execFile)(
      join(ROOT, 'bin/kestrel'),
      ['demo', '--tasks', '6', '--workers', '2', '--json'],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        timeout: 120_000,
      },
    );
    expect(stdout).toMatch(/head node: XMPP server on 127\.0\.0\.1:\d+/);
    // So a newcomer can watch the job run in the ops UI.
    expect(stdout).toMatch(/^ops UI: http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{43}$/m);
    expect(stdout).toMatch(/job 1 finished in [\d.]+ s: 6 done, 0 failed/);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    // π(300 000) = 25 997: the tasks did their work, each slice exactly once.
    expect(result).toMatchObject({ done: 6, failed: 0, below: 300_000, primes: 25_997 });
  });
});
