// What one `{'type':'cancel'}` of big queues costs a head node (server and manager in one process,
// as `kestrel head` runs them): submits JOBS jobs of TASKS tasks, then cancels them all, and prints
// the longest event-loop stall during the cancel and the RSS before and after.
//   node bench/cancel-cost.ts [JOBS=50] [TASKS=10000000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src-main/common/log.ts';
import { startHeadNode } from '../src-main/head/head-node.ts';
import { createConnection } from '../src-main/xmpp/connection.ts';

const jobs = Number(process.argv[2] ?? 50);
const tasks = Number(process.argv[3] ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'kestrel-cancel-cost-'));
const head = await startHeadNode({
  dataDir: dir,
  domain: 'bench.test',
  port: 0,
  log: createLogger(() => undefined, 'head'),
  // Room for the whole experiment (the defaults refuse it: that is item 9's first fix).
  limits: { maxJobsPerUser: jobs, maxQueuedPerUser: jobs * tasks },
});
await head.server.accounts.add('alice', 'alice-password');
const alice = createConnection({
  service: head.service,
  domain: 'bench.test',
  username: 'alice',
  password: 'alice-password',
  resource: 'bench',
  ca: head.ca,
});
const replies: Record<string, unknown>[] = [];
let wake: (() => void) | undefined;
alice.on('message', ({ body }) => {
  replies.push(JSON.parse(body) as Record<string, unknown>);
  wake?.();
});
await alice.start();
async function ask(message: object, type: string): Promise<Record<string, unknown>> {
  const from = replies.length;
  await alice.sendJson(head.config.manager.jid, message);
  for (;;) {
    const found = replies.slice(from).find((r) => r.type === type || r.type === 'error');
    if (found) return found;
    await new Promise<void>((r) => (wake = r));
  }
}
for (let i = 0; i < jobs; i += 1) {
  const r = await ask({ type: 'job', command: 'true', queue: tasks }, 'job_started');
  // The manager takes 10 requests a second from one JID: keep under it.
  if (r.code === 'rate_limited') await new Promise((done) => setTimeout(done, 200));
  if (r.code === 'rate_limited') i -= 1;
  else if (r.type !== 'job_started') throw new Error(JSON.stringify(r));
}
const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const before = rss();
// The longest gap between ticks of a 5 ms timer: how long nothing else could run.
let last = performance.now();
let stall = 0;
const probe = setInterval(() => {
  const t = performance.now();
  stall = Math.max(stall, t - last - 5);
  last = t;
}, 5);
const t0 = performance.now();
const cancelled = await ask({ type: 'cancel' }, 'cancelled');
const ms = performance.now() - t0;
await new Promise((done) => setTimeout(done, 20));
clearInterval(probe);
console.log(
  `cancel of ${jobs} × ${tasks} tasks: reply in ${Math.round(ms)} ms, longest event-loop stall ` +
    `${Math.round(stall)} ms, RSS ${before} → ${rss()} MB (${String(cancelled.tasks)} tasks cancelled)`,
);
await alice.stop();
await head.stop();
rmSync(dir, { recursive: true, force: true });
