// What the owner's preferences do to real processes, measured from /proc as anyone could:
// a suspended task's CPU time stops growing (every way a task's processes are held: a cgroup,
// the sandbox with and without one, a /proc walk), a CPU time limit of 50 % keeps a busy task
// near half of what an unlimited one gets over 10 s, and a task over its memory request is
// stopped with the reason. No fixed sleeps but the 10 s window, which is the measurement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createHostConfinement,
  createSandboxConfinement,
  type Confinement,
} from '../../../src-main/worker/confinement.ts';
import { createExecutor, type Executor } from '../../../src-main/worker/executor.ts';
import { findCgroupBase } from '../../../src-main/worker/host-tree.ts';
import { probeSandbox } from '../../../src-main/worker/sandbox.ts';
import {
  createTail,
  startProcess,
  type ProcessRun,
} from '../../../src-main/worker/shell-process.ts';
import { taskLauncher } from '../../../src-main/worker/task-launcher.ts';
import { createGovernor } from '../../../src-main/volunteer/governor.ts';
import { cpuOf, expectStopped, newMarker, until } from '../../harness/cpu-time.ts';
import { FIXTURES } from '../../harness/task-output.ts';

const SPIN = join(FIXTURES, 'spin.sh');
const HOG = join(FIXTURES, 'hog-memory.sh');
const scratch = mkdtempSync(join(tmpdir(), 'kestrel-task-control-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sandbox = probeSandbox().sandbox;
const cgroup = findCgroupBase();
const confinements: [string, () => Confinement][] = [
  ...(cgroup
    ? [
        ['a cgroup of its own (freezer)', () => createHostConfinement(cgroup)] as [
          string,
          () => Confinement,
        ],
      ]
    : []),
  ['a /proc walk (SIGSTOP)', () => createHostConfinement(undefined)],
  ...(sandbox
    ? ([
        [
          'the sandbox, without a cgroup (SIGSTOP of its PID 1 and below)',
          () => createSandboxConfinement(sandbox, [{ path: FIXTURES, writable: false }]),
        ],
        ...(cgroup
          ? [
              [
                'the sandbox in a cgroup (freezer)',
                () =>
                  createSandboxConfinement(sandbox, [{ path: FIXTURES, writable: false }], cgroup),
              ],
            ]
          : []),
      ] as [string, () => Confinement][])
    : []),
];

function spin(confinement: Confinement, marker: string): ProcessRun {
  return startProcess(`sh ${SPIN} ${marker} 0`, {
    cwd: scratch,
    env: { PATH: process.env.PATH },
    timeoutMs: undefined,
    killGraceMs: 300,
    launcher: taskLauncher(),
    stdout: createTail(1000),
    stderr: createTail(1000),
    confinement,
    own: [],
  });
}

describe.runIf(process.platform === 'linux')('suspending a running task', () => {
  it.each(confinements)(
    'in %s: its CPU time stops growing, and grows again on resume',
    async (_name, make) => {
      const confinement = make();
      const [held, control] = [newMarker(), newMarker()];
      const a = spin(confinement, held);
      const b = spin(confinement, control);
      try {
        await until(() => cpuOf(held) > 0.05 && cpuOf(control) > 0.05, 'both tasks spinning');
        a.suspend();
        // Measured against the control: while it runs 0.5 s of CPU, the held one runs none.
        await expectStopped(held, control);
        const h0 = cpuOf(held);
        a.resume();
        await until(() => cpuOf(held) >= h0 + 0.3, 'the held task to run again');
      } finally {
        a.terminate();
        b.terminate();
        await Promise.all([a.end, b.end]);
      }
    },
  );
});

describe.runIf(process.platform === 'linux')('the CPU time limit', () => {
  /** CPU seconds per wall second a busy task gets under `limit` over `ms`. */
  async function share(limit: number, ms: number): Promise<number> {
    const governor = createGovernor({
      executor: createExecutor({
        workRoot: join(scratch, `share-${limit}`),
        killGraceMs: 300,
        expose: [{ path: FIXTURES, writable: false }],
      }),
    });
    governor.apply({ suspend: false, cpuTimeLimit: limit });
    const marker = newMarker();
    const task = governor.executor.run({
      jobId: 1,
      index: limit,
      attempt: 1,
      command: `sh ${SPIN} ${marker}`,
    });
    try {
      await until(() => cpuOf(marker) > 0, 'the task spinning');
      const [c0, at0] = [cpuOf(marker), performance.now()];
      await new Promise((r) => setTimeout(r, ms)); // the measurement window itself
      return (cpuOf(marker) - c0) / ((performance.now() - at0) / 1000);
    } finally {
      task.cancel();
      await task.result;
      governor.close();
    }
  }

  it('keeps a busy task near half a core over 10 s', { timeout: 60_000 }, async () => {
    const limited = await share(50, 10_000);
    // What an unlimited task gets right after, alone as the limited one was: the machine is
    // shared, so "half" is half of what a task can get here now.
    const free = await share(100, 3_000);
    const ratio = limited / free;
    process.stderr.write(
      `[figure] CPU share under a 50 % limit: ${(limited * 100).toFixed(1)} % of a core over 10 s ` +
        `(unlimited, right after: ${(free * 100).toFixed(1)} %; ratio ${ratio.toFixed(2)})\n`,
    );
    expect(limited).toBeLessThan(0.7);
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(0.7);
  });
});

describe('a task over its memory request', () => {
  let executor: Executor | undefined;
  it('is stopped, and its outcome says why', async () => {
    executor = createExecutor({
      workRoot: join(scratch, 'm'),
      killGraceMs: 300,
      expose: [{ path: FIXTURES, writable: false }],
    });
    const outcome = await executor.run({
      jobId: 2,
      index: 0,
      attempt: 1,
      command: `sh ${HOG} 200`,
      ramMb: 50,
    }).result;
    expect(outcome.signal).toBe('SIGTERM');
    expect(outcome.stopped).toMatch(
      /^stopped: it used \d+ MB of memory, more than the 50 MB its job asked for \(ram\)$/,
    );
    // Within its request it runs on (until its own end: here, a cancel).
    const within = executor.run({
      jobId: 2,
      index: 1,
      attempt: 1,
      command: `sh ${HOG} 10`,
      ramMb: 200,
    });
    await until(() => (within.usage()?.rssMb ?? 0) > 10, 'the task holding its memory');
    within.cancel();
    expect((await within.result).stopped).toBeUndefined();
  });
});
