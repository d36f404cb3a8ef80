// `npm run bench`: Kestrel against the systems people would otherwise use, side by side in one run
// on this machine. Starts everything it needs (XMPP servers, the manager, simulated and real
// workers, RabbitMQ and Celery) on 127.0.0.1 and stops it by PID, even on failure. Figures go to
// bench/results/*.json; the summary, in markdown, to bench/results/summary.md.
// Usage: npm run bench -- [--smoke] [--help]
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createContext, type BenchContext } from './lib/context.ts';
import { parseOptions, type Section } from './lib/options.ts';
import { report } from './lib/report.ts';
import { createResults, describeMachine } from './lib/results.ts';
import { availableKinds, startBenchServer } from './lib/servers.ts';
import { summarize } from './profile-summary.ts';
import { bullmq } from './sections/bullmq.ts';
import { celery } from './sections/celery.ts';
import { scaleOut } from './sections/cluster.ts';
import { ceiling } from './sections/ceiling.ts';
import { failure } from './sections/failure.ts';
import { memory } from './sections/memory.ts';
import { scale } from './sections/scale.ts';
import { store } from './sections/store.ts';
import { curves } from './sections/curves.ts';
import { realProcesses } from './sections/real.ts';
import { throughput } from './sections/throughput.ts';
import { writeCharts } from './lib/charts.ts';

const SECTION_RUNNERS: Record<Section, (ctx: BenchContext) => Promise<void>> = {
  throughput,
  store,
  real: realProcesses,
  scale,
  failure,
  memory,
  ceiling,
  curves,
};

const ROOT = resolve(import.meta.dirname, '..');
const options = parseOptions(process.argv.slice(2), availableKinds());
const results = createResults(options.resultsDir);
const profileDir = join(results.dir, 'profiles');
const started = performance.now();
const cleanups: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    await step().catch((error: unknown) => console.error(`[bench] cleanup: ${String(error)}`));
  }
}
// A stray rejection must not end an unattended run before its cleanup: the section it came from
// fails on its own (or times out) and is recorded as failed.
process.on('unhandledRejection', (error) => console.error(`[bench] unhandled: ${String(error)}`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

/** The manager's profile of the section that just ran, kept and summarized. */
function keepProfile(name: string): void {
  const files = readdirSync(profileDir)
    .filter((f) => f.startsWith('CPU.'))
    .map((f) => join(profileDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const newest = files[0];
  if (!newest) return;
  const target = join(profileDir, `${name}.cpuprofile`);
  renameSync(newest, target);
  writeFileSync(
    join(profileDir, `${name}.txt`),
    summarize(JSON.parse(readFileSync(target, 'utf8')), 30),
  );
}

async function runServer(kind: (typeof options.servers)[number]): Promise<void> {
  console.log(`[bench] ${kind}: starting`);
  const server = await startBenchServer(kind, { prosodyGc: !options.prosodyDefaultGc });
  cleanups.push(() => server.stop());
  results.record(`${kind}-server`, { server: kind, pid: server.pid, tuning: server.tuning });
  const nodeArgs = options.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const ctx = await createContext(server, options.sizes, results, nodeArgs);
  cleanups.push(() => ctx.pool.close());
  for (const section of options.sections) {
    const t0 = performance.now();
    console.log(`[bench] ${kind}: ${section}`);
    try {
      await SECTION_RUNNERS[section](ctx);
    } catch (error) {
      console.error(`[bench] ${kind} ${section} failed: ${String(error)}`);
      results.record(`${kind}-${section}-error`, { error: String(error) });
    }
    if (options.profile) {
      await ctx.restartManager(); // SIGTERM: the section's manager writes its profile
      keepProfile(`${kind}-${section}`);
    }
    console.log(
      `[bench] ${kind}: ${section} took ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  await cleanUp();
}

try {
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  results.record('machine', { ...describeMachine(), command: process.argv.slice(2).join(' ') });
  for (const kind of options.servers) await runServer(kind);
  if (options.scaleOut) {
    const t0 = performance.now();
    try {
      await scaleOut(results, options.sizes);
    } catch (error) {
      console.error(`[bench] scale-out failed: ${String(error)}`);
      results.record('scale-out-error', { error: String(error) });
    }
    console.log(`[bench] scale-out took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  if (options.celery) {
    console.log('[bench] celery');
    try {
      await celery(results, options.sizes);
    } catch (error) {
      console.error(`[bench] celery failed: ${String(error)}`);
      results.record('celery-error', { error: String(error) });
    }
  }
  if (options.bullmq) {
    console.log('[bench] bullmq');
    try {
      await bullmq(results, options.sizes);
    } catch (error) {
      console.error(`[bench] bullmq failed: ${String(error)}`);
      results.record('bullmq-error', { error: String(error) });
    }
  }
} finally {
  await cleanUp();
}
const chartsDir = options.chartsDir ?? (options.smoke ? results.dir : join(ROOT, 'docs'));
const machine = results.all.get('machine');
const charts = writeCharts(
  results.all,
  chartsDir,
  `npm run bench, ${String(machine?.startedAt ?? '')
    .slice(0, 16)
    .replace('T', ' ')} UTC, ${String(machine?.cores ?? '?')} cores`,
);
for (const file of charts) console.log(`[bench] chart ${file}`);
const summary = report(results.all, options.servers);
const seconds = Math.round((performance.now() - started) / 1000);
writeFileSync(join(results.dir, 'summary.md'), `${summary}\n\nRun took ${seconds} s.\n`);
const everything = { seconds, figures: Object.fromEntries(results.all) };
writeFileSync(join(results.dir, 'summary.json'), `${JSON.stringify(everything, null, 2)}\n`);
console.log(`\n${summary}\n\n[bench] done in ${seconds} s; figures in ${results.dir}`);
