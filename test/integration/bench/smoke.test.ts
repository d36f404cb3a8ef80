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

describe('npm run bench -- --smoke', () => {
  it('measures every figure and writes the results', { timeout: 180_000 }, async () => {
    const args = ['bench/run.ts', '--smoke', '--results', out];
    if (!hasCelery) args.push('--no-celery');
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
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('tasks/s');
  });
});
