// The BullMQ worker of the bench's peer, in a process of its own (as Kestrel's and Celery's
// workers are): a no-op processor, or one that runs `sh -c 'true INDEX'` as a Kestrel task does.
// Prints `ready`, then one JSON line once it has completed TOTAL jobs.
// Usage: node bench/bullmq/worker.ts PORT QUEUE noop|spawn CONCURRENCY TOTAL
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Worker, type Job } from 'bullmq';

const [port = '6379', queue = 'bench', mode = 'noop', concurrency = '1', total = '0'] =
  process.argv.slice(2);
const run = promisify(execFile);
const wallClock = () => performance.timeOrigin + performance.now();

const processor =
  mode === 'spawn'
    ? async (job: Job<{ i: number }>) => {
        await run('/bin/sh', ['-c', `true ${job.data.i}`]);
        return job.data.i;
      }
    : async (job: Job<{ i: number }>) => job.data.i;

let completed = 0;
let failed = 0;
const worker = new Worker(queue, processor, {
  connection: { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null },
  concurrency: Number(concurrency),
  // The bench's jobs are thrown away once done: Redis keeps nothing per job (BullMQ's docs:
  // auto-removal, for throughput and memory).
  removeOnComplete: { count: 0 },
  removeOnFail: { count: 0 },
});
const finish = () => {
  if (completed + failed < Number(total)) return;
  console.log(JSON.stringify({ completed, failed, doneAt: wallClock() }));
  void worker.close().then(() => process.exit(0));
};
worker.on('completed', () => {
  completed += 1;
  finish();
});
worker.on('failed', () => {
  failed += 1;
  finish();
});
worker.on('error', (error) => console.error(`bullmq worker: ${String(error)}`));
await worker.waitUntilReady();
console.log('ready');
