import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeLeftoverCgroups } from '../../../../src-main/worker/cgroup-leftovers.ts';
import {
  findCgroupBase,
  makeTaskCgroup,
  releaseCgroup,
} from '../../../../src-main/worker/host-tree.ts';

const base = findCgroupBase();
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmdirSync(dir);
});

// Where the worker can make cgroups (Linux, cgroup v2 writable: root in CI).
describe.runIf(base !== undefined)('task cgroups', () => {
  it('makes a new one when a worker killed earlier left one of the same name behind', async () => {
    // What a SIGKILLed worker of the same pid would have left: its first task cgroups.
    const root = base as string;
    for (let n = 1; n <= 20; n += 1) {
      const dir = join(root, `kestrel-${process.pid}-${n}`);
      mkdirSync(dir);
      made.push(dir);
    }
    const dir = makeTaskCgroup(root);
    expect(made).not.toContain(dir);
    expect(dir.startsWith(join(root, `kestrel-${process.pid}-`))).toBe(true);
    await releaseCgroup(dir); // kept as a spare, or removed
  });
});

describe.runIf(base !== undefined)('task cgroups of dead workers', () => {
  it('are removed when empty; a live worker’s and a busy one are kept', async () => {
    const root = base as string;
    // A pid that is certainly gone: a child that has exited.
    const dead = await new Promise<number>((resolve) => {
      const child = spawn('true');
      child.once('exit', () => resolve(child.pid as number));
    });
    const leftover = join(root, `kestrel-${dead}-1`);
    const busy = join(root, `kestrel-${dead}-2`);
    const live = join(root, `kestrel-${process.ppid}-1`);
    for (const dir of [leftover, busy, live]) mkdirSync(dir);
    made.push(busy, live);
    const sleeper = spawn('sleep', ['30']);
    writeFileSync(join(busy, 'cgroup.procs'), String(sleeper.pid));
    try {
      expect(removeLeftoverCgroups(root)).toBeGreaterThanOrEqual(1);
      expect(existsSync(leftover)).toBe(false);
      expect(existsSync(busy)).toBe(true);
      expect(existsSync(live)).toBe(true);
    } finally {
      const gone = new Promise((resolve) => sleeper.once('exit', resolve));
      sleeper.kill('SIGKILL');
      await gone;
      // A killed process leaves its cgroup a moment after its exit is seen.
      await until(() => readFileSync(join(busy, 'cgroup.procs'), 'utf8').trim() === '');
    }
  });
});

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}
