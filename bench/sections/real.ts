// Real tasks (`true`, a process per task) beside the machine's limits, taken one after another
// in the same run so that their ratios are fair: the bare Node spawner and `xargs -P` at the
// parallelism of one Kestrel worker, one worker process with that many slots (unsandboxed, then
// sandboxed, each against a bare spawner running the same command line), and 20 `kestrel worker`
// processes of one slot each.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { probeSandbox } from '../../src-main/worker/sandbox.ts';
import type { BenchContext } from '../lib/context.ts';
import { meterCpu } from '../lib/proc.ts';
import { createSimPool } from '../lib/sim-pool.ts';
import type { SpawnerFigures } from '../lib/spawner.ts';
import { runJob } from './throughput.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const run = promisify(execFile);

/** The bare spawner in a process of its own, as small as it can be (it is the limit). */
async function spawner(tasks: number, parallel: number, sandbox: boolean) {
  const args = [join(ROOT, 'bench/lib/spawner.ts'), String(tasks), String(parallel)];
  const { stdout } = await run(NODE, sandbox ? [...args, '--sandbox'] : args, {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SpawnerFigures;
}

async function xargs(tasks: number, parallel: number) {
  const t0 = performance.now();
  await run('/bin/sh', ['-c', `seq 0 ${tasks - 1} | xargs -P ${parallel} -I{} sh -c 'true {}'`]);
  const seconds = (performance.now() - t0) / 1000;
  return {
    tasks,
    parallel,
    seconds: Number(seconds.toFixed(2)),
    tasksPerSecond: Math.round(tasks / seconds),
  };
}

/** One worker process (the real worker service and executor) with `slots` slots. */
async function oneWorker(ctx: BenchContext, sandbox: 'none' | 'require') {
  const { realTasks, realSlots } = ctx.sizes;
  await ctx.restartManager();
  const sims = await createSimPool(ctx.server, 1);
  try {
    await sims.connect(ctx.accountsOf('w', 1), {
      mode: 'run',
      sandbox,
      slots: realSlots,
      peer: ctx.pool.managerJid,
    });
    return await runJob(ctx, sims, realTasks);
  } finally {
    await sims.close();
  }
}

export async function realProcesses(ctx: BenchContext): Promise<void> {
  const { realTasks, realSlots, realWorkers } = ctx.sizes;
  const sandboxed = probeSandbox().sandbox !== undefined;
  ctx.record('limit-spawner', await spawner(realTasks, realSlots, false));
  ctx.record('real-w1', { slots: realSlots, sandbox: 'none', ...(await oneWorker(ctx, 'none')) });
  if (sandboxed) {
    ctx.record('limit-spawner-sandbox', await spawner(realTasks, realSlots, true));
    ctx.record('real-w1-sandbox', {
      slots: realSlots,
      sandbox: 'bubblewrap',
      ...(await oneWorker(ctx, 'require')),
    });
  }
  ctx.record('limit-xargs', await xargs(realTasks, realSlots));

  await ctx.restartManager();
  const names: string[] = [];
  try {
    for (let i = 0; i < realWorkers; i += 1) {
      names.push(`real-${i}`);
      await ctx.pool.startWorker(`real-${i}`, { slots: 1 });
    }
    const pids = Object.fromEntries(
      names.map((name) => [name, ctx.pool.workers.get(name)?.pid ?? 0]),
    );
    const meter = meterCpu(pids);
    const figures = await runJob(ctx, undefined, realTasks);
    const shares = Object.values(meter.shares()).reduce((a, b) => a + b, 0);
    ctx.record('throughput-real', {
      workers: realWorkers,
      slots: 1,
      command: 'true',
      sandbox: sandboxed ? 'bubblewrap' : 'none',
      ...figures,
      workersCpuShareOfOneCore: Number(shares.toFixed(2)),
    });
  } finally {
    for (const name of names) {
      await ctx.pool.workers.get(name)?.kill('SIGKILL');
      ctx.pool.workers.delete(name);
    }
  }
}
