// `npm run bench:ui`: the ops UI at scale. A real `kestrel head` (embedded XMPP server, manager,
// HTTP UI), 10,000 simulated workers logged in over XMPP (bench/lib/sim-pool.ts, each holding
// the task it gets), a 1,000,000-task job, and the built renderer in Chromium. Figures:
// - how long the ops view takes to show the 10,000 workers (click on Pool → "1–100 of 10,000
//   workers" on screen), and a cold page load to the same point;
// - API latency over HTTP of jobs:get for the million-task job, pool:workers and pool:summary.
// Usage: npm run bench:ui -- [--workers N] [--tasks N] [--rounds N]
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createHttpClient } from '../src-renderer/lib/client/http-client.ts';
import { createAccountRoles } from '../src-main/server/account-roles.ts';
import { createAccountStore } from '../src-main/server/account-store.ts';
import { openServerDatabase } from '../src-main/server/database.ts';
import { openBrowser } from '../test/e2e/browser.ts';
import { requireBuiltRenderer, startHeadProcess } from '../test/harness/head-process.ts';
import type { TestXmppServer } from '../test/harness/xmpp-server.ts';
import { createSimPool, PASSWORD } from './lib/sim-pool.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '10000' },
    tasks: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '5' },
  },
});
const WORKERS = Number(values.workers);
const TASKS = Number(values.tasks);
const ROUNDS = Number(values.rounds);
const PER_HOST = 2500;
const WAVE = 1000;

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: s.at(-1) ?? 0 };
}
async function timed(n: number, run: () => Promise<unknown>) {
  const samples: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    await run();
    samples.push(ms(t0));
  }
  return stats(samples);
}

requireBuiltRenderer();
const figures: Record<string, unknown> = { workers: WORKERS, tasks: TASKS };
// A long ping interval: 10,000 pings every 10 s would measure the pinging, not the UI.
const head = await startHeadProcess('ui.bench', ['--ping-interval', '60']);
const sims = await createSimPool(
  {
    kind: 'embedded',
    domain: head.domain,
    service: `xmpp://127.0.0.1:${head.xmppPort}`,
  } as TestXmppServer,
  Math.ceil(WORKERS / PER_HOST),
);
const browser = await openBrowser();
const client = createHttpClient({ base: head.origin, token: head.token });
try {
  console.log(`[ui] creating ${WORKERS} accounts`);
  // Straight into the head's account store, as `kestrel user add` does, at the RFC 7677 minimum
  // cost so that making 10,000 of them takes seconds, not minutes.
  const db = openServerDatabase(join(head.dir, 'head', 'server'));
  const accounts = createAccountStore(db, { iterations: 4096 });
  const roles = createAccountRoles(db);
  const sim = Array.from({ length: WORKERS }, (_, i) => ({
    username: `w-${i}`,
    password: PASSWORD,
    resource: `w-${i}`,
  }));
  for (const a of sim) {
    await accounts.add(a.username, a.password);
    roles.set(a.username, ['worker']);
  }
  db.close();

  console.log(`[ui] logging ${WORKERS} simulated workers in`);
  const ca = readFileSync(join(head.dir, 'head', 'server', 'tls', `${head.domain}.crt`), 'utf8');
  // In waves: a storm of 10,000 STARTTLS logins at once crashes a simulated-worker host (an
  // unhandled EBADF on a TLS socket inside the XMPP client; see the report), not the head.
  const t0 = performance.now();
  for (let i = 0; i < sim.length; i += WAVE)
    await sims.connect(sim.slice(i, i + WAVE), {
      mode: 'hold',
      peer: `manager@${head.domain}`,
      prefetch: 0, // one task each: 10,000 running
      ca,
    });
  figures.loginMs = { [`${WORKERS} workers in waves of ${WAVE}, all reported`]: ms(t0) };
  let seen = 0;
  for (let t0 = performance.now(); seen < WORKERS && performance.now() - t0 < 120_000;) {
    seen = (await client.call('pool:summary')).counters.workers.total;
    if (seen < WORKERS) await new Promise((r) => setTimeout(r, 250));
  }
  if (seen < WORKERS) throw new Error(`the manager knows ${seen} of ${WORKERS} workers`);

  console.log(`[ui] a job of ${TASKS} tasks`);
  const { jobId } = await client.call('jobs:submit', { command: 'hold', queue: TASKS });
  for (let running = 0; running < WORKERS;) {
    running = (await client.call('jobs:get', { jobId })).counts.running;
    if (running < WORKERS) await new Promise((r) => setTimeout(r, 250));
  }
  figures.api = {
    [`jobs:get, ${TASKS}-task job with ${WORKERS} running (ms)`]: await timed(200, () =>
      client.call('jobs:get', { jobId }),
    ),
    'jobs:list (ms)': await timed(100, () => client.call('jobs:list', {})),
    'pool:workers, a page of 100 from the middle (ms)': await timed(100, () =>
      client.call('pool:workers', { after: String(Math.floor(WORKERS / 2)) }),
    ),
    'pool:summary (ms)': await timed(100, () => client.call('pool:summary')),
  };

  console.log('[ui] the ops view in Chromium');
  const page = await browser.page();
  const cold: number[] = [];
  const warm: number[] = [];
  const shown = () =>
    page.getByText(`1–100 of ${WORKERS.toLocaleString('en')} workers`).waitFor({ timeout: 60_000 });
  for (let round = 0; round < ROUNDS; round += 1) {
    const t0 = performance.now();
    await page.goto(round === 0 ? head.url : `${head.origin}/`);
    await page.getByRole('tab', { name: 'Pool' }).click();
    await shown();
    cold.push(ms(t0));
    await page.getByRole('tab', { name: 'Jobs' }).click();
    await page.getByRole('region', { name: 'Jobs' }).waitFor();
    const t1 = performance.now();
    await page.getByRole('tab', { name: 'Pool' }).click();
    await shown();
    warm.push(ms(t1));
  }
  figures.opsView = {
    'click Pool → 10,000 workers shown (ms)': stats(warm),
    'open the URL → Pool → 10,000 workers shown (ms)': stats(cold),
  };
  await client.call('jobs:cancel', { jobId });
} finally {
  client.close();
  await browser.close().catch((error: unknown) => console.error(`[ui] ${String(error)}`));
  await sims.close();
  await head.stop();
}

const dir = resolve(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'ui.json'), `${JSON.stringify(figures, null, 2)}\n`);
console.log(JSON.stringify(figures, null, 2));
