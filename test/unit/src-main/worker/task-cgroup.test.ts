import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
