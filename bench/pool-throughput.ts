// End-to-end throughput of a real pool: the manager and W worker processes on a private Prosody,
// one job of N tasks whose command is `true` (so the figure includes spawning a process per task).
// Usage: node bench/pool-throughput.ts [--tasks N] [--workers W] [--slots S]
import { parseArgs } from 'node:util';
import { createPool } from '../test/harness/pool.ts';
import { startTestServer } from '../test/harness/xmpp-server.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '20' },
    slots: { type: 'string', default: '1' },
  },
});
const tasks = Number(values.tasks);
const workers = Number(values.workers);
const slots = Number(values.slots);

const server = await startTestServer();
const pool = await createPool(server);
try {
  for (let i = 0; i < workers; i += 1) await pool.startWorker(`bench-${i}`, { slots });
  const alice = await pool.user();
  const t0 = performance.now();
  const started = await alice.ask({ type: 'job', command: 'true', queue: tasks });
  const accepted = performance.now();
  await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === started.job_id, 30 * 60_000);
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    server: server.kind,
    tasks,
    workers,
    slots,
    seconds: Number(seconds.toFixed(2)),
    tasksPerSecond: Math.round(tasks / seconds),
    submitToStartedMs: Number((accepted - t0).toFixed(1)),
  };
  console.log(JSON.stringify(result));
} finally {
  await pool.close();
  await server.stop();
}
