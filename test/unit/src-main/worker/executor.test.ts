// These tests spawn real shells and scripts from test/fixtures/tasks; each takes well under a
// second apart from the kill grace, which is kept short here.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createExecutor,
  ExecutorOptionsError,
  type Executor,
  type ExecutorOptions,
} from '../../../../src-main/worker/executor.ts';
import { TASK_NICENESS } from '../../../../src-main/worker/niceness.ts';
import { probeSandbox } from '../../../../src-main/worker/sandbox.ts';
import { newMarker, processesWith } from './task-processes.ts';

const fixtures = fileURLToPath(new URL('../../../fixtures/tasks/', import.meta.url));
const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
const fixture = (name: string): string => `sh ${quote(join(fixtures, name))}`;

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// A killed orphan may stay a zombie when PID 1 does not reap (as in some containers): it no
// longer runs, so it counts as gone.
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  if (!existsSync('/proc/self/stat')) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

const sandboxed = probeSandbox().isolation.kind === 'bubblewrap';
// Every test runs both ways where bubblewrap works; CI installs it (scripts/setup).
const modes: [string, 'none' | 'require'][] = [
  ['without a sandbox', 'none'],
  ...(sandboxed ? [['in the sandbox', 'require'] as [string, 'require']] : []),
];

it.runIf(process.env.CI && process.platform === 'linux')('has a working sandbox on CI', () => {
  expect(probeSandbox().isolation).toMatchObject({ kind: 'bubblewrap' });
});

const noneLeft = (marker: string) => () => processesWith(`300.${marker}`).length === 0;

describe.skipIf(process.platform === 'win32').each(modes)('createExecutor %s', (_name, sandbox) => {
  let scratch: string;
  let workRoot: string;
  let out: string;
  let executor: Executor;
  // The sandbox shows the fixtures and the tests' output directory, as an operator would.
  const make = (extra: Partial<ExecutorOptions> = {}) =>
    createExecutor({
      workRoot,
      killGraceMs: 300,
      sandbox,
      expose: [
        { path: fixtures, writable: false },
        { path: out, writable: true },
      ],
      ...extra,
    });

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'kestrel-executor-'));
    workRoot = join(scratch, 'work');
    out = join(scratch, 'out');
    await Promise.all([mkdir(workRoot), mkdir(out)]);
    executor = make();
  });

  afterEach(async () => {
    await executor.cancelAll();
    await rm(scratch, { recursive: true, force: true });
  });

  it('runs COMMAND INDEX with the task variables in a per-task directory it removes', async () => {
    const task = { jobId: 7, index: 3, attempt: 2, command: `${fixture('write-index.sh')} ${out}` };
    const outcome = await executor.run(task).result;

    expect(outcome).toMatchObject({ exitCode: 0, signal: null, cancelled: false, timedOut: false });
    expect(outcome.error).toBeUndefined();
    expect(outcome.stdoutTail).toBe('wrote 3\n');
    const cwd = join(workRoot, 'job-7', 'task-3-2');
    expect(readFileSync(join(out, '3'), 'utf8')).toBe(
      `index=3\njob=7\ntask=3\nattempt=2\ncwd=${cwd}\n`,
    );
    expect(existsSync(join(workRoot, 'job-7'))).toBe(false);
    expect(existsSync(workRoot)).toBe(true);
  });

  it('runs through the shell, so pipes work and INDEX ends the command line', async () => {
    const outcome = await executor.run({
      jobId: 1,
      index: 5,
      attempt: 0,
      command: 'echo hello | tr a-z A-Z && echo',
    }).result;
    expect(outcome.stdoutTail).toBe('HELLO\n5\n');
  });

  it('runs the task and what it starts at the tasks’ niceness, with only its own descriptors', async () => {
    const outcome = await executor.run({
      jobId: 1,
      index: 6,
      attempt: 0,
      // The shell's own niceness, a child's, the descriptors a child has, how the shell was run.
      command: `cut -d' ' -f19 /proc/$$/stat; sh -c 'cut -d" " -f19 /proc/self/stat; ls /proc/self/fd | sort -n | tr "\\n" " "'; echo; echo "$0 $#"`,
    }).result;
    expect(outcome.stderrTail).toBe('');
    const [shell, child, fds, invocation] = outcome.stdoutTail.trim().split('\n');
    expect([shell, child]).toEqual([String(TASK_NICENESS), String(TASK_NICENESS)]);
    // stdin, stdout, stderr and the directory ls reads: no pipe of the worker's (its gate, the
    // sandbox's status, info and gate, at 3-5). High ones come from the test runner's process.
    const low = (fds ?? '')
      .trim()
      .split(' ')
      .filter((fd) => Number(fd) < 10);
    expect(low.join(' ')).toBe('0 1 2 3');
    expect(invocation).toBe('/bin/sh 0 6');
  });

  it('reports a non-zero exit code and the stderr tail', async () => {
    const task = { jobId: 1, index: 0, attempt: 0, command: fixture('exit-nonzero.sh') };
    const outcome = await executor.run(task).result;
    expect(outcome).toMatchObject({ exitCode: 3, signal: null, stderrTail: 'task 0 is failing\n' });
  });

  it('reports the signal that killed the command', async () => {
    const crash = fixture('crash-signal.sh');
    const direct = await executor.run({ jobId: 1, index: 0, attempt: 0, command: `exec ${crash}` })
      .result;
    expect(direct).toMatchObject({ exitCode: null, signal: 'SIGSEGV', stdoutTail: 'crashing 0\n' });

    // Without `exec`, a shell that waits for the command reports 128 + SIGSEGV (11) instead.
    const wrapped = await executor.run({ jobId: 1, index: 1, attempt: 0, command: crash }).result;
    expect(wrapped.signal === 'SIGSEGV' || wrapped.exitCode === 139).toBe(true);
  });

  it('keeps only the tail of a task that floods stderr', async () => {
    const small = make({ tailChars: 1000 });
    const task = { jobId: 2, index: 4, attempt: 0, command: fixture('flood-stderr.sh') };
    const outcome = await small.run(task).result;
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stderrTail).toHaveLength(1000);
    expect(outcome.stderrTail.endsWith('x\nflood done 4\n')).toBe(true);
    expect(outcome.stdoutTail).toBe('stdout is quiet 4\n');
  });

  it.each([
    ['a grandchild', ''],
    ['a grandchild that ignores SIGTERM', 'IGNORE_TERM=1 '],
  ])('cancel() kills the whole process group, %s included', async (_name, prefix) => {
    const marker = newMarker();
    const command = `${prefix}${fixture('hang-tree.sh')} ${marker}`;
    const running = executor.run({ jobId: 3, index: 0, attempt: 0, command });
    await waitFor(() => processesWith(`300.${marker}`).length === 1);
    expect(running.pid).toBeGreaterThan(0);

    running.cancel();
    const outcome = await running.result;
    expect(outcome).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
    expect(outcome.signal).toBe('SIGTERM');
    expect(outcome.stdoutTail).toBe('started\n');
    await waitFor(noneLeft(marker));
    expect(existsSync(join(workRoot, 'job-3'))).toBe(false);
  });

  it('stops processes a command left behind when it exits', async () => {
    const marker = newMarker();
    const command = `sleep 300.${marker} & echo`;
    const outcome = await executor.run({ jobId: 3, index: 1, attempt: 0, command }).result;
    expect(outcome).toMatchObject({ exitCode: 0, cancelled: false, stdoutTail: '1\n' });
    await waitFor(noneLeft(marker));
  });

  it.each([
    ['cancel', 300],
    ['exit', 0],
  ])(
    'kills what a task started with setsid and a double-forked daemon, on %s',
    async (how, wait) => {
      const marker = newMarker();
      const command = `${fixture('escape.sh')} ${marker} ${wait}`;
      const running = executor.run({ jobId: 9, index: 0, attempt: 0, command });
      if (how === 'cancel') {
        await waitFor(() => processesWith(`300.${marker}`).length === 2);
        running.cancel();
      }
      const outcome = await running.result;
      expect(outcome).toMatchObject({ stdoutTail: 'escaped\n', cancelled: how === 'cancel' });
      await waitFor(noneLeft(marker));
    },
  );

  it('gives the task an environment of its own: no worker secrets, its own HOME and TMPDIR', async () => {
    const env = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      LC_TIME: 'C',
      TZ: 'UTC',
      KESTREL_PASSWORD: 'worker-secret',
      KESTREL_CONFIG: '/home/volunteer/.config/kestrel/config.json',
      AWS_SECRET_ACCESS_KEY: 'shell-secret',
      SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
      SHARED_TOOL: 'yes',
    };
    const tasks = make({ env, passEnv: ['SHARED_TOOL'] });
    const command =
      'touch "$HOME/h" "$TMPDIR/t" && echo "home=$HOME" && echo "tmp=$TMPDIR" && env | sort | grep -v -e ^PWD= -e ^HOME= -e ^TMPDIR= -e ^SHLVL= -e ^_=; echo';
    const outcome = await tasks.run({ jobId: 10, index: 2, attempt: 1, command }).result;
    const own = join(workRoot, 'job-10', '.task-2-1');
    expect(outcome.stdoutTail.split('\n')).toEqual([
      `home=${join(own, 'home')}`,
      `tmp=${join(own, 'tmp')}`,
      'KESTREL_ATTEMPT=1',
      'KESTREL_JOB_ID=10',
      'KESTREL_TASK_INDEX=2',
      'LANG=C.UTF-8',
      'LC_TIME=C',
      `PATH=${process.env.PATH}`,
      'SHARED_TOOL=yes',
      'TZ=UTC',
      '2',
      '',
    ]);
    expect(existsSync(join(workRoot, 'job-10'))).toBe(false);
  });

  it('refuses to pass Kestrel’s own variables even when asked', () => {
    for (const name of ['KESTREL_PASSWORD', 'kestrel_jid', 'NOT A NAME']) {
      expect(() => make({ passEnv: [name] })).toThrow(
        expect.objectContaining({ code: 'executor-invalid-options' }),
      );
    }
  });

  it('stops a command that exceeds timeoutMs', async () => {
    const task = { jobId: 4, index: 0, attempt: 0, command: fixture('hang.sh'), timeoutMs: 300 };
    const outcome = await executor.run(task).result;
    expect(outcome).toMatchObject({ timedOut: true, cancelled: false, signal: 'SIGTERM' });
    expect(outcome.stdoutTail).toBe('hanging 0\n');
  });

  it('runs the cleanup after the command, in the same directory, with INDEX and env', async () => {
    const outcome = await executor.run({
      jobId: 5,
      index: 4,
      attempt: 0,
      command: 'echo data > produced.txt && echo main',
      cleanup: 'cat produced.txt && echo cleanup $KESTREL_JOB_ID',
    }).result;
    expect(outcome).toMatchObject({ exitCode: 0, stdoutTail: 'main 4\ndata\ncleanup 5 4\n' });
    expect(existsSync(join(workRoot, 'job-5'))).toBe(false);
  });

  it('runs the cleanup after a failure too, and reports its own failure without changing exitCode', async () => {
    const failing = await executor.run({
      jobId: 5,
      index: 0,
      attempt: 0,
      command: fixture('exit-nonzero.sh'),
      cleanup: 'echo cleaned',
    }).result;
    expect(failing).toMatchObject({ exitCode: 3, stdoutTail: 'cleaned 0\n' });

    const outcome = await executor.run({
      jobId: 5,
      index: 1,
      attempt: 0,
      command: 'echo ok',
      cleanup: 'echo cleanup is failing >&2; false',
    }).result;
    expect(outcome).toMatchObject({ exitCode: 0, stdoutTail: 'ok 1\n' });
    expect(outcome.stderrTail).toBe('cleanup is failing\n[kestrel] cleanup exited with 1\n');
  });

  it('skips the cleanup of a cancelled task', async () => {
    const running = executor.run({
      jobId: 6,
      index: 0,
      attempt: 0,
      command: fixture('hang.sh'),
      cleanup: `touch ${quote(join(out, 'cleaned'))}`,
    });
    await waitFor(() => existsSync(join(workRoot, 'job-6', 'task-0-0')));
    running.cancel();
    expect((await running.result).cancelled).toBe(true);
    expect(readdirSync(out)).toEqual([]);
  });

  it('resolves with an error when the task cannot start', async () => {
    const blocked = join(scratch, 'not-a-directory');
    writeFileSync(blocked, '');
    const broken = createExecutor({ workRoot: blocked, sandbox });
    const running = broken.run({ jobId: 1, index: 0, attempt: 0, command: 'true' });
    const outcome = await running.result;
    expect(running.pid, 'no process was started').toBeUndefined();
    expect(outcome).toMatchObject({ exitCode: null, signal: null, cancelled: false });
    expect(outcome.error).toMatch(/^cannot create working directory: /);

    const invalid = await executor.run({ jobId: 1, index: -1, attempt: 0, command: 'true' }).result;
    expect(invalid.error).toMatch(/^invalid task: index/);
  });

  it('cancelAll() stops every running task and waits for them', async () => {
    const tasks = [0, 1, 2].map((index) =>
      executor.run({ jobId: 8, index, attempt: 0, command: fixture('hang.sh') }),
    );
    expect(executor.runningCount()).toBe(3);
    await executor.cancelAll();
    expect(executor.runningCount()).toBe(0);
    for (const task of tasks) {
      const outcome = await task.result;
      expect(outcome.cancelled).toBe(true);
      // A task cancelled before its directories were made never started a process.
      if (task.pid !== undefined) expect(isGone(task.pid)).toBe(true);
    }
    expect(existsSync(join(workRoot, 'job-8'))).toBe(false);
  });

  it('rejects invalid options with a typed error', () => {
    expect(() => createExecutor({ workRoot, tailChars: 0 })).toThrow(ExecutorOptionsError);
    expect(() => createExecutor({ workRoot: '' })).toThrow(
      expect.objectContaining({ code: 'executor-invalid-options' }),
    );
  });
});

describe.runIf(sandboxed)('the sandbox', { timeout: 30_000 }, () => {
  let dataDir: string;
  let executor: Executor;

  beforeEach(async () => {
    // The layout of a worker that joined with an invite: DATA_DIR/joined.json holds its password.
    dataDir = await mkdtemp(join(tmpdir(), 'kestrel-sandbox-'));
    writeFileSync(join(dataDir, 'joined.json'), '{"password":"worker-secret"}', { mode: 0o600 });
    executor = createExecutor({ workRoot: join(dataDir, 'work', 'w1'), sandbox: 'require' });
  });

  afterEach(async () => {
    await executor.cancelAll();
    await rm(dataDir, { recursive: true, force: true });
  });

  const run = (command: string) => executor.run({ jobId: 1, index: 0, attempt: 0, command }).result;

  it('says it is there', () => {
    expect(executor.isolation).toMatchObject({ kind: 'bubblewrap' });
  });

  it("hides the worker's data directory and password file from the task", async () => {
    const outcome = await run('cat ../../../../joined.json; ls -A ../../../..; echo');
    expect(outcome.stdoutTail).not.toContain('worker-secret');
    // Only the path down to the task's own directory exists, nothing beside it.
    expect(outcome.stdoutTail).toBe('work\n0\n');
    expect(outcome.stderrTail).toContain('joined.json');
  });

  it("hides the user's home, the worker's process and the host's /tmp", async () => {
    writeFileSync(join(tmpdir(), `kestrel-sandbox-probe-${process.pid}`), 'x');
    const outcome = await run(
      `ls -A ${quote(homedir())} ${quote(tmpdir())}; cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo`,
    );
    rmSync(join(tmpdir(), `kestrel-sandbox-probe-${process.pid}`));
    expect(outcome.stdoutTail).not.toContain('kestrel-sandbox-probe');
    expect(outcome.stdoutTail).not.toContain(process.execPath);
    expect(outcome.stdoutTail).not.toContain('vitest');
    expect(outcome.stderrTail).toContain(homedir());
  });

  it('shows the system read-only and keeps the network', async () => {
    const outcome = await run(
      'touch /usr/x || touch /etc/x || echo read-only; test -r /etc/passwd && echo',
    );
    expect(outcome.stdoutTail).toBe('read-only\n0\n');
  });

  it('refuses to start without a sandbox when one is required', () => {
    expect(() =>
      createExecutor({ workRoot: dataDir, sandbox: 'require', env: { PATH: '/nonexistent' } }),
    ).toThrow(expect.objectContaining({ code: 'executor-no-sandbox' }));
    const fallback = createExecutor({ workRoot: dataDir, env: { PATH: '/nonexistent' } });
    expect(fallback.isolation).toEqual({
      kind: 'none',
      detail: 'bubblewrap (bwrap) is not installed',
    });
  });
});
