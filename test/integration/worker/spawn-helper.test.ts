// The spawn helper (src-native/spawn-helper.c, started by task-launcher.ts) with real processes:
// tasks started through it, when it dies under running tasks, when the worker dies under it, and
// when it cannot start at all.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createHostConfinement,
  createSandboxConfinement,
  type Confinement,
} from '../../../src-main/worker/confinement.ts';
import { findCgroupBase } from '../../../src-main/worker/host-tree.ts';
import { probeSandbox } from '../../../src-main/worker/sandbox.ts';
import { createTail, startProcess } from '../../../src-main/worker/shell-process.ts';
import {
  builtHelper,
  chooseLauncher,
  createHelperLauncher,
  type TaskLauncher,
} from '../../../src-main/worker/task-launcher.ts';
import { until } from '../../harness/cpu-time.ts';
import { newMarker, processesWith } from '../../unit/src-main/worker/task-processes.ts';

const scratch = mkdtempSync(join(tmpdir(), 'kestrel-spawn-helper-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sandbox = probeSandbox().sandbox;
const cgroup = findCgroupBase();
const confinements: [string, () => Confinement][] = [
  ['a /proc walk', () => createHostConfinement(undefined)],
  ...(cgroup
    ? [['a cgroup', () => createHostConfinement(cgroup)] as [string, () => Confinement]]
    : []),
  ...(sandbox
    ? [
        ['the sandbox', () => createSandboxConfinement(sandbox, [], cgroup)] as [
          string,
          () => Confinement,
        ],
      ]
    : []),
];

function run(launcher: TaskLauncher, confinement: Confinement, command: string) {
  const stdout = createTail(1000);
  const stderr = createTail(1000);
  const io = { cwd: scratch, env: { PATH: process.env.PATH }, timeoutMs: undefined };
  const own: string[] = [];
  const started = startProcess(command, {
    ...io,
    ...{ killGraceMs: 300, launcher, stdout, stderr, confinement, own },
  });
  return { started, stdout, stderr };
}

const parentOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};
const gone = (pid: number) => !existsSync(`/proc/${pid}`);
const removed = (dir: string): boolean => {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false; // its killed processes leave it a moment later
  }
};

const helper = builtHelper();
const launcher = (): TaskLauncher => createHelperLauncher(helper ?? 'none');
const commandOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];

// `npm ci` builds it (scripts/build-native.sh); a Linux machine without it fails here.
describe.runIf(process.platform === 'linux')('the spawn helper', () => {
  it('is built', () => {
    expect(helper).toMatch(/\/dist\/native\/kestrel-spawn$/);
  });

  it.each(confinements)(
    'in %s: starts the task, gives its output, exit code and signal, and is its parent',
    async (_name, make) => {
      const confinement = make();
      const through = launcher();
      const marker = newMarker();
      const waiting = run(through, confinement, `echo out; echo err >&2; sleep 300.${marker}`);
      const sleeps = () => processesWith(marker).filter((p) => commandOf(p) === 'sleep');
      await until(() => sleeps().length > 0, 'the task running');
      expect(commandOf(parentOf(waiting.started.pid ?? 0))).toBe(helper);
      for (const p of sleeps()) process.kill(p, 'SIGKILL');
      expect(await waiting.started.end).toMatchObject({ exitCode: 137, signal: null });
      expect(waiting.stdout.text()).toBe('out\n');
      expect(waiting.stderr.text()).toMatch(/^err\n/); // and the shell's own word of the kill

      const exits = run(through, confinement, 'exit 7');
      const killed = run(through, confinement, 'kill -USR1 $$');
      expect(await exits.started.end).toMatchObject({ exitCode: 7, signal: null });
      expect(await killed.started.end).toMatchObject({ exitCode: null, signal: 'SIGUSR1' });
    },
  );

  it.each(confinements)(
    'in %s: tasks after one whose processes had to be killed run (a killed cgroup is not reused)',
    async (_name, make) => {
      const confinement = make();
      const through = launcher();
      const marker = newMarker();
      const stubborn = run(through, confinement, `(trap '' TERM; exec sleep 300.${marker}) & wait`);
      await until(() => processesWith(`300.${marker}`).length > 0, 'the task running');
      stubborn.started.terminate();
      expect((await stubborn.started.end).error).toBeUndefined();
      expect(processesWith(`300.${marker}`)).toEqual([]);
      for (const n of [1, 2, 3]) {
        const next = run(through, confinement, `echo ${n}`);
        expect(await next.started.end).toMatchObject({ exitCode: 0, signal: null });
        expect(next.stdout.text()).toBe(`${n}\n`);
      }
    },
  );

  it.each(confinements)(
    'in %s: gives the task its stdin, stdout and stderr, and no other descriptor',
    async (_name, make) => {
      // ls's own descriptor of the directory it lists is 3.
      const listing = run(launcher(), make(), 'exec ls /proc/self/fd');
      expect(await listing.started.end).toMatchObject({ exitCode: 0, signal: null });
      expect(listing.stdout.text().trim().split('\n').map(Number).sort()).toEqual([0, 1, 2, 3]);
    },
  );

  it('keeps the tail of tasks that flood their output, four at once', async () => {
    const through = launcher();
    const confinement = (confinements.at(-1) ?? confinements[0])?.[1]() as Confinement;
    const flood = (n: number) =>
      run(through, confinement, `head -c 3000000 /dev/zero | tr '\\0' x; echo end-${n}`);
    const runs = [1, 2, 3, 4].map(flood);
    const ends = await Promise.all(runs.map((r) => r.started.end));
    for (const [i, r] of runs.entries()) {
      expect(ends[i]).toMatchObject({ exitCode: 0, signal: null });
      expect(r.stdout.text()).toBe(`${'x'.repeat(1000 - 6)}end-${i + 1}\n`);
    }
  });

  it('says why a task could not start', async () => {
    const confinement = createHostConfinement(cgroup);
    const stdout = createTail(100);
    const stderr = createTail(100);
    const started = startProcess('true', {
      ...{ cwd: join(scratch, 'missing'), env: {}, timeoutMs: undefined, killGraceMs: 300 },
      ...{ launcher: launcher(), stdout, stderr, confinement, own: [] },
    });
    const end = await started.end;
    expect(end.exitCode).toBeNull();
    expect(end.error).toMatch(/^could not start \/bin\/sh: .*No such file or directory \(ENOENT\)/);
  });

  it.each(confinements)(
    'in %s: killed under a running task, the task ends with an error, its processes are killed, and the next task starts a new helper',
    async (_name, make) => {
      const confinement = make();
      const through = launcher();
      const marker = newMarker();
      const { started } = run(through, confinement, `sleep 300.${marker}; echo never`);
      await until(
        () => started.pid !== undefined && processesWith(marker).length > 0,
        'the task running',
      );
      const pid = started.pid;
      if (pid === undefined) throw new Error('no pid');
      const helperPid = parentOf(pid);
      expect(commandOf(helperPid)).toBe(helper);

      process.kill(helperPid, 'SIGKILL');
      const end = await started.end;
      expect(end.error).toMatch(/^the spawn helper ended \(SIGKILL\) while the task ran/);
      expect(end.exitCode).toBeNull();
      await until(() => processesWith(marker).length === 0, 'the task killed');

      const next = run(through, confinement, 'echo after');
      expect(await next.started.end).toMatchObject({ exitCode: 0, signal: null });
      expect(next.stdout.text()).toBe('after\n');
    },
  );

  it.each(confinements)(
    'in %s: a terminate() asked before the process exists stops it once it does',
    async (_name, make) => {
      const marker = newMarker();
      const { started } = run(launcher(), make(), `sleep 300.${marker}; echo never`);
      expect(started.pid, 'the helper has not started it yet').toBeUndefined();
      started.terminate();
      const end = await started.end;
      // In the sandbox the SIGTERM can come before its shell exists: its PID 1 is killed then.
      expect(end.exitCode).toBeNull();
      expect(end.signal).toMatch(/^SIG(TERM|KILL)$/);
      expect(end.error).toBeUndefined();
      expect(processesWith(marker)).toEqual([]);
    },
  );

  it('exits when the worker is killed, leaving no helper behind', async () => {
    const marker = newMarker();
    // A worker of its own: an executor running one task, which says its helper's pid.
    const script = [
      `import { createExecutor } from ${JSON.stringify(new URL('../../../src-main/worker/executor.ts', import.meta.url).href)};`,
      `const executor = createExecutor({ workRoot: ${JSON.stringify(scratch)}, sandbox: 'none' });`,
      `const task = executor.run({ jobId: 1, index: 0, attempt: 0, command: 'sleep 300.${marker}' });`,
      `import { readFileSync } from 'node:fs';`,
      `const wait = setInterval(() => { if (task.pid === undefined) return; clearInterval(wait);`,
      `  const stat = readFileSync('/proc/' + task.pid + '/stat', 'utf8');`,
      `  console.log(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); }, 10);`,
      // Should the task end instead, the line says how (and the test fails on it).
      `void task.result.then((r) => { console.log(JSON.stringify(r)); process.exit(1); });`,
    ].join('\n');
    const worker = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: worker.stdout })[Symbol.asyncIterator]();
    const line = String((await lines.next()).value);
    expect(line).toMatch(/^\d+$/);
    const helperPid = Number(line);
    expect(commandOf(helperPid)).toBe(helper);
    const task = processesWith(marker);
    expect(task.length).toBeGreaterThan(0);

    worker.kill('SIGKILL');
    await until(() => gone(helperPid), 'the helper gone');
    // The task itself runs on as it did when the worker started it itself (it is ours to stop),
    // and the killed worker's cgroups are ours to remove.
    for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
    const left = cgroup === undefined ? [] : readdirSync(cgroup);
    for (const name of left.filter((n) => n.startsWith(`kestrel-${worker.pid}-`))) {
      await until(() => removed(join(cgroup ?? '', name)), `cgroup ${name} removed`);
    }
  });

  it('that cannot run here: tasks are started directly, with one warning', async () => {
    const warnings: string[] = [];
    const missing = chooseLauncher('/nonexistent/kestrel-spawn', (m) => warnings.push(m));
    const notBuilt = chooseLauncher(undefined, (m) => warnings.push(m));
    const failing = chooseLauncher('/bin/false', (m) => warnings.push(m));
    expect(warnings).toEqual([
      'the spawn helper cannot run (spawnSync /nonexistent/kestrel-spawn ENOENT): tasks are started directly, more slowly',
      'the spawn helper cannot run (it is not built: npm ci builds it into dist/native/ with a C compiler): tasks are started directly, more slowly',
      'the spawn helper cannot run (it exited with 1): tasks are started directly, more slowly',
    ]);
    for (const through of [missing, notBuilt, failing]) {
      expect(through.enters).toBe(false);
      const started = run(through, createHostConfinement(undefined), 'echo $PPID');
      expect(await started.started.end).toMatchObject({ exitCode: 0, signal: null });
      expect(started.stdout.text()).toBe(`${process.pid}\n`);
    }
    expect(chooseLauncher(helper, (m) => warnings.push(m)).enters).toBe(true);
    expect(warnings).toHaveLength(3);
  });

  it('that dies as it starts: the task fails with why, and the next one tries again', async () => {
    const through = createHelperLauncher('/nonexistent/kestrel-spawn');
    const first = run(through, createHostConfinement(undefined), 'echo never');
    expect((await first.started.end).error).toBe(
      'could not start /bin/sh: the spawn helper could not start (spawn /nonexistent/kestrel-spawn ENOENT)',
    );
    const second = run(through, createHostConfinement(undefined), 'echo never');
    expect((await second.started.end).error).toMatch(/: the spawn helper could not start/);
  });
});
