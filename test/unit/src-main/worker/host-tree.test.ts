// The /proc walk is what a worker without sandbox and without a usable cgroup v2 falls back to:
// it must find the children that left the process group, and never take a stranger's process.
import { describe, expect, it } from 'vitest';
import { createHostConfinement } from '../../../../src-main/worker/confinement.ts';
import { taskProcesses } from '../../../../src-main/worker/host-tree.ts';
import { createTail, startProcess } from '../../../../src-main/worker/shell-process.ts';
import { taskLauncher } from '../../../../src-main/worker/task-launcher.ts';
import { newMarker, processesWith } from './task-processes.ts';

const entry = (pid: number, ppid: number, pgid: number, sid: number) => ({
  pid,
  ppid,
  pgid,
  sid,
  start: '1',
});

describe('taskProcesses', () => {
  it('takes the group, the session and their descendants, and nothing else', () => {
    const procs = [
      entry(1, 0, 1, 1), // init
      entry(100, 1, 100, 100), // the task's shell, leader of its own group and session
      entry(101, 100, 100, 100), // a child in the group
      entry(102, 100, 102, 102), // a child that ran setsid
      entry(103, 102, 102, 102), // its child
      entry(104, 1, 104, 104), // a double-forked daemon: nothing ties it to the task
      entry(200, 1, 200, 200), // someone else's
    ];
    expect(taskProcesses(100, procs).map((p) => p.pid)).toEqual([100, 101, 102, 103]);
  });
});

describe.runIf(process.platform === 'linux')('the /proc walk', { timeout: 30_000 }, () => {
  it('kills a setsid child on cancel', async () => {
    const confinement = createHostConfinement(undefined);
    expect(confinement.method).toBe('proc-walk');
    const marker = newMarker();
    const run = startProcess(`setsid sleep 300.${marker} & sleep 300`, {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH },
      timeoutMs: undefined,
      killGraceMs: 300,
      launcher: taskLauncher(),
      stdout: createTail(100),
      stderr: createTail(100),
      confinement,
      own: [],
    });
    while (processesWith(`300.${marker}`).length === 0) await new Promise((r) => setTimeout(r, 20));
    run.terminate();
    expect(await run.end).toMatchObject({ signal: 'SIGTERM', exitCode: null });
    while (processesWith(`300.${marker}`).length > 0) await new Promise((r) => setTimeout(r, 20));
  });
});
