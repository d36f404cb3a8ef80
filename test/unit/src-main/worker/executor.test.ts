// These tests spawn real shells and scripts from test/fixtures/tasks; each takes well under a
// second apart from the kill grace, which is kept short here.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createExecutor,
  ExecutorOptionsError,
  type Executor,
} from '../../../../src-main/worker/executor.ts';

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

describe.skipIf(process.platform === 'win32')('createExecutor', { timeout: 30_000 }, () => {
  let scratch: string;
  let workRoot: string;
  let out: string;
  let executor: Executor;

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'kestrel-executor-'));
    workRoot = join(scratch, 'work');
    out = join(scratch, 'out');
    await Promise.all([mkdir(workRoot), mkdir(out)]);
    executor = createExecutor({ workRoot, killGraceMs: 300 });
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
    const small = createExecutor({ workRoot, tailChars: 1000 });
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
    const pidFile = join(out, 'grandchild.pid');
    const command = `${prefix}${fixture('hang-tree.sh')} ${quote(pidFile)}`;
    const running = executor.run({ jobId: 3, index: 0, attempt: 0, command });
    expect(running.pid).toBeGreaterThan(0);
    await waitFor(() => existsSync(pidFile));
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(isGone(grandchild)).toBe(false);

    running.cancel();
    const outcome = await running.result;
    expect(outcome).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
    expect(outcome.signal).toBe('SIGTERM');
    await waitFor(() => isGone(grandchild));
    expect(existsSync(join(workRoot, 'job-3'))).toBe(false);
  });

  it('stops processes a command left behind when it exits', async () => {
    const pidFile = join(out, 'left.pid');
    const command = `sleep 300 & echo $! > ${quote(pidFile)}; echo`;
    const outcome = await executor.run({ jobId: 3, index: 1, attempt: 0, command }).result;
    expect(outcome).toMatchObject({ exitCode: 0, cancelled: false, stdoutTail: '1\n' });
    await waitFor(() => isGone(Number(readFileSync(pidFile, 'utf8'))));
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
    const broken = createExecutor({ workRoot: blocked });
    const running = broken.run({ jobId: 1, index: 0, attempt: 0, command: 'true' });
    expect(running.pid).toBeUndefined();
    const outcome = await running.result;
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
      expect(isGone(task.pid ?? 0)).toBe(true);
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
