// The machine's limit for real tasks, as the bench's peers for one worker: a bare Node process
// that keeps P children of `/bin/sh -c 'true I'` running, spawned as a worker spawns them
// (detached, stdin ignored, stdout and stderr piped), until N have ended. `--sandbox` runs the
// same bubblewrap command line as the worker's sandbox (its PID 1 reporter included, with the
// status and info pipes), so that the sandboxed worker is compared with like.
// Run as its own process: node bench/lib/spawner.ts N P [--sandbox]; prints one JSON line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeSandbox } from '../../src-main/worker/sandbox.ts';

export type SpawnerFigures = {
  tasks: number;
  parallel: number;
  sandbox: boolean;
  seconds: number;
  tasksPerSecond: number;
  failed: number;
};

export async function spawnTasks(
  tasks: number,
  parallel: number,
  sandboxed: boolean,
): Promise<SpawnerFigures> {
  const sandbox = sandboxed ? probeSandbox().sandbox : undefined;
  if (sandboxed && !sandbox) throw new Error(`no sandbox here: ${probeSandbox().isolation.detail}`);
  const cwd = mkdtempSync(join(tmpdir(), 'kestrel-bench-spawn-'));
  let next = 0;
  let failed = 0;
  const one = (index: number) =>
    new Promise<void>((resolve) => {
      const line = `true ${index}`;
      const [file, args] = sandbox
        ? [sandbox.bwrap, sandbox.args(line, cwd, [])]
        : ['/bin/sh', ['-c', line]];
      const extra = sandbox ? ['pipe', 'pipe'] : [];
      const child = spawn(file, args, {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe', ...(extra as 'pipe'[])],
        detached: true,
      });
      for (const stream of child.stdio) stream?.on('data', () => undefined);
      child.once('error', () => {
        failed += 1;
        resolve();
      });
      child.once('close', (code) => {
        if (code !== 0) failed += 1;
        resolve();
      });
    });
  const lane = async () => {
    while (next < tasks) await one(next++);
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: parallel }, lane));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    tasks,
    parallel,
    sandbox: sandboxed,
    seconds: Number(seconds.toFixed(2)),
    tasksPerSecond: Math.round(tasks / seconds),
    failed,
  };
}

if (import.meta.main) {
  const [n = '2000', p = '4'] = process.argv.slice(2);
  const figures = await spawnTasks(Number(n), Number(p), process.argv.includes('--sandbox'));
  console.log(JSON.stringify(figures));
}
