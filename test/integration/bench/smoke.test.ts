// `npm run bench -- --smoke` runs every figure at toy sizes and writes its results: this keeps
// the benchmark working as the code under it changes. No timing is asserted (the machine may be
// busy); only that every figure was produced.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const out = mkdtempSync(join(tmpdir(), 'kestrel-bench-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

const hasCelery = (() => {
  try {
    readFileSync('/usr/lib/python3/dist-packages/celery/__init__.py');
    readFileSync('/usr/lib/rabbitmq/bin/rabbitmq-server');
    return true;
  } catch {
    return false;
  }
})();

const hasRedis = (() => {
  try {
    readFileSync('/usr/bin/redis-server');
    return true;
  } catch {
    return false;
  }
})();

describe('npm run bench -- --smoke', () => {
  it('measures every figure and writes the results', { timeout: 180_000 }, async () => {
    const args = ['bench/run.ts', '--smoke', '--results', out];
    if (!hasCelery) args.push('--no-celery');
    if (!hasRedis) args.push('--no-bullmq');
    await promisify(execFile)(NODE, args, { cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
    const read = (name: string) =>
      JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as Record<string, unknown>;
    const summary = read('summary') as { figures: Record<string, unknown> };
    const errors = Object.keys(summary.figures).filter((name) => name.endsWith('-error'));
    expect(errors).toEqual([]);
    // The smoke run uses one server: the embedded one when it is there, else Prosody.
    const kind = Object.keys(summary.figures)
      .find((name) => name.endsWith('-server'))
      ?.replace(/-server$/, '');
    expect(read(`${kind}-throughput-w20`)).toMatchObject({ tasks: 2000, done: 2000 });
    expect(read(`${kind}-throughput-real`)).toMatchObject({ done: 50 });
    // One worker process beside the bare spawner and xargs at the same parallelism.
    expect(read(`${kind}-real-w1`)).toMatchObject({ slots: 4, done: 50 });
    expect(read(`${kind}-limit-spawner`)).toMatchObject({ tasks: 50, parallel: 4, failed: 0 });
    expect(read(`${kind}-limit-xargs`)).toMatchObject({ tasks: 50, parallel: 4 });
    // The curves, and their charts (in the results directory for a smoke run, not docs/).
    expect(read(`${kind}-curve-workers-20`)).toMatchObject({ workers: 20, done: 500 });
    expect(read(`${kind}-curve-job-1000`)).toMatchObject({ tasks: 1000, done: 1000 });
    expect(read(`${kind}-curve-queued-100000`)).toHaveProperty('managerRssMb');
    for (const chart of ['bench-workers', 'bench-job-size', 'bench-memory'])
      expect(readFileSync(join(out, `${chart}.svg`), 'utf8')).toMatch(/^<svg /);
    expect(read(`${kind}-latency`)).toHaveProperty('submitToJobStartedMs.n', 20);
    expect(read(`${kind}-scale-n50`)).toHaveProperty('presence.loggedOut', 5);
    expect(read(`${kind}-failure`)).toHaveProperty('sigkill.notRescuedWithin30s', 0);
    expect(read(`${kind}-memory`)).toHaveProperty('tasks', 10_000);
    expect(read(`${kind}-ceiling-w20`)).toHaveProperty('roundTripsPerSecond');
    expect(read(`${kind}-store-sqlite`)).toMatchObject({ tasks: 2000, done: 2000 });
    expect(read(`${kind}-store-postgres`)).toMatchObject({ tasks: 2000, done: 2000 });
    expect(read('ejabberd-one-node')).toHaveProperty('tasksPerSecond');
    expect(read('ejabberd-two-nodes')).toHaveProperty('roundTripMs');
    expect(read('takeover-sigkill')).toHaveProperty('toFirstDispatchMs.n', 1);
    expect(read('takeover-sigstop')).toHaveProperty('toFirstDispatchMs.n', 1);
    if (hasCelery) expect(read('celery')).toHaveProperty('tasks', 500);
    if (hasCelery) expect(read('celery-shell')).toMatchObject({ tasks: 50, concurrency: 4 });
    if (hasRedis) expect(read('bullmq')).toMatchObject({ tasks: 500, completed: 500 });
    if (hasRedis) expect(read('bullmq-spawn')).toMatchObject({ tasks: 50, completed: 50 });
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('tasks/s');
  });
});
