// The peer TypeScript users pick: BullMQ on Redis (Debian's redis-server, on a loopback port with
// its own directory). A bag of no-op jobs, and a bag of jobs that each run `true INDEX` through
// the shell as a Kestrel task does, with as many at once as the Kestrel worker has slots. Jobs
// are added in bulk (addBulk, in chunks of 1,000) by the bench process; the worker runs in a
// process of its own.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { wallClock } from '../lib/executors.ts';
import { meterCpu } from '../lib/proc.ts';
import { startRedis, type Redis } from '../lib/redis.ts';
import type { Results } from '../lib/results.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CHUNK = 1000;
/** A no-op processor is asynchronous and costs nothing: many at once, as BullMQ's docs advise. */
const NOOP_CONCURRENCY = 100;

interface Bag {
  name: string;
  mode: 'noop' | 'spawn';
  tasks: number;
  concurrency: number;
}

function lineFrom(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n').find((l) => pattern.test(l));
      if (line === undefined) return;
      stream.off('data', onData);
      resolveLine(line);
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`no ${pattern}: ${text.slice(-500)}`)));
  });
}

async function runBag(results: Results, redis: Redis, bag: Bag): Promise<void> {
  const name = `bench-${bag.name}`;
  const worker = spawn(
    NODE,
    [
      join(ROOT, 'bench/bullmq/worker.ts'),
      ...[String(redis.port), name, bag.mode, String(bag.concurrency), String(bag.tasks)],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const queue = new Queue(name, {
    connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
  });
  try {
    if (!worker.stdout) throw new Error('no worker output');
    await lineFrom(worker.stdout, /^ready$/);
    const done = lineFrom(worker.stdout, /"doneAt"/);
    const meter = meterCpu({ redis: redis.pid, worker: worker.pid ?? 0, producer: process.pid });
    const t0 = wallClock();
    for (let i = 0; i < bag.tasks; i += CHUNK) {
      const chunk = Array.from({ length: Math.min(CHUNK, bag.tasks - i) }, (_, k) => ({
        name: 'task',
        data: { i: i + k },
      }));
      await queue.addBulk(chunk);
    }
    const submitted = wallClock();
    const figures = JSON.parse(await done) as { completed: number; failed: number; doneAt: number };
    const seconds = (figures.doneAt - t0) / 1000;
    results.record(bag.name, {
      peer: 'BullMQ + Redis',
      task: bag.mode === 'spawn' ? "execFile('/bin/sh', ['-c', 'true INDEX'])" : 'no-op',
      tasks: bag.tasks,
      concurrency: bag.concurrency,
      completed: figures.completed,
      failed: figures.failed,
      seconds: Number(seconds.toFixed(2)),
      submitSeconds: Number(((submitted - t0) / 1000).toFixed(2)),
      tasksPerSecond: Math.round(bag.tasks / seconds),
      cpuShareOfOneCore: meter.shares(),
    });
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    if (worker.exitCode === null) worker.kill('SIGKILL');
  }
}

export async function bullmq(
  results: Results,
  sizes: { bullmqTasks: number; peerShellTasks: number; realSlots: number },
): Promise<void> {
  const redis = await startRedis();
  try {
    await runBag(results, redis, {
      name: 'bullmq',
      mode: 'noop',
      tasks: sizes.bullmqTasks,
      concurrency: NOOP_CONCURRENCY,
    });
    await runBag(results, redis, {
      name: 'bullmq-spawn',
      mode: 'spawn',
      tasks: sizes.peerShellTasks,
      concurrency: sizes.realSlots,
    });
  } finally {
    await redis.stop();
  }
}
