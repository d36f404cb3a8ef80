// The summary of a run: our figures side by side with Celery's and with the transport ceiling,
// the ratios the claim rests on, and the published anchors beside them. Markdown, so that it can
// go into docs/BENCHMARKS.md as it is.
import type { Figures } from './results.ts';

/** Published figures of Kestrel's predecessor and its peers (see docs/BENCHMARKS.md). */
export const ANCHORS = [
  'the original Kestrel paper: ≈450 tasks/s derived (900 workers at ~100 % busy with 2 s tasks) and ≥1,600 workers',
  'Falkon (2007): 487 tasks/s',
  'Parsl HTEX: 1,181 tasks/s',
  'BOINC (2005): ≈100 tasks/s per server',
];

type Get = (name: string) => Figures | undefined;

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const fmt = (v: number | undefined, digits = 0) =>
  v === undefined || Number.isNaN(v)
    ? '—'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits });
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
const pick = (f: Figures | undefined, ...path: string[]): unknown =>
  path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], f);

function serverRows(kind: string, get: Get, celeryTps: number | undefined): string[] {
  const rows: string[] = [];
  let load: unknown;
  const row = (figure: string, value: string, note = '') =>
    rows.push(`| ${kind} | ${figure} | ${value} | ${note} | ${fmt(num(load), 1)} |`);
  const at = (f: Figures | undefined) => {
    load = f?.loadAverage1m;
    return f;
  };
  for (const [name, f] of allMatching(get, `${kind}-throughput-w`)) {
    at(f);
    const w = name.slice(`${kind}-throughput-w`.length);
    const tps = num(f.tasksPerSecond);
    const rt = num(get(`${kind}-ceiling-w${w}`)?.roundTripsPerSecond);
    row(
      `end to end, ${fmt(num(f.tasks))} no-op tasks, ${w} simulated workers`,
      `**${fmt(tps)} tasks/s**`,
      `${fmt(ratio(tps, celeryTps), 2)}× Celery; ${fmt(100 * (ratio(tps, rt) ?? Number.NaN))} % of the ceiling (${fmt(rt)} round trips/s)`,
    );
  }
  const real = at(get(`${kind}-throughput-real`));
  if (real)
    row(
      `end to end, ${fmt(num(real.tasks))} tasks of \`true\`, ${fmt(num(real.workers))} worker processes`,
      `${fmt(num(real.tasksPerSecond))} tasks/s`,
      'one process spawned per task',
    );
  const lat = at(get(`${kind}-latency`));
  if (lat) {
    row(
      'submit → `job_started` (idle pool, p50 / p99)',
      `${fmt(num(pick(lat, 'submitToJobStartedMs', 'p50')), 1)} / ${fmt(num(pick(lat, 'submitToJobStartedMs', 'p99')), 1)} ms`,
    );
    row(
      'last task done → `job_finished` (p50 / p99)',
      `${fmt(num(pick(lat, 'lastTaskDoneToJobFinishedMs', 'p50')), 1)} / ${fmt(num(pick(lat, 'lastTaskDoneToJobFinishedMs', 'p99')), 1)} ms`,
    );
  }
  for (const [, f] of allMatching(get, `${kind}-scale-n`)) {
    at(f);
    row(
      `${fmt(num(f.workers))} workers log in at once, every one tracked`,
      `${fmt(num(pick(f, 'loginStorm', 'allHoldingATaskMs')))} ms to all busy`,
      `logged in ${fmt(num(pick(f, 'loginStorm', 'allLoggedInMs')))} ms; ${fmt(num(pick(f, 'presence', 'loggedOut')))} logged out → tasks requeued in ${fmt(num(pick(f, 'presence', 'allTheirTasksRequeuedMs')))} ms; manager ${fmt(num(f.managerKbPerWorker), 1)} KB/worker`,
    );
  }
  const fail = at(get(`${kind}-failure`));
  if (fail) {
    const d = pick(fail, 'sigkill', 'killToRunningElsewhereMs');
    row(
      `SIGKILL of a worker holding a task → task running elsewhere (n=${fmt(num(pick(d as Figures, 'n')))})`,
      `p50 ${fmt(num(pick(d as Figures, 'p50')), 1)} ms, p99 ${fmt(num(pick(d as Figures, 'p99')), 1)} ms`,
    );
    const frozen = (pick(fail, 'sigstop', 'stopToRunningElsewhereMs') as (number | null)[]) ?? [];
    row(
      'SIGSTOP (frozen) → task running elsewhere, `--ping-interval 1`',
      frozen.map((x) => fmt(x ?? undefined)).join(', ') + ' ms',
    );
  }
  const sqlite = at(get(`${kind}-store-sqlite`));
  const postgres = get(`${kind}-store-postgres`);
  if (sqlite && postgres) {
    row(
      `store: the same ${fmt(num(sqlite.tasks))}-task job, ${fmt(num(sqlite.workers))} simulated workers, SQLite (WAL)`,
      `${fmt(num(sqlite.tasksPerSecond))} tasks/s`,
      `submit → job_started p50 ${fmt(num(pick(sqlite, 'submitToJobStartedMs', 'p50')), 1)} ms`,
    );
    at(postgres);
    row(
      '… the same on PostgreSQL (fsync and synchronous commit on)',
      `${fmt(num(postgres.tasksPerSecond))} tasks/s`,
      `${fmt(ratio(num(postgres.tasksPerSecond), num(sqlite.tasksPerSecond)), 2)}× SQLite; submit → job_started p50 ${fmt(num(pick(postgres, 'submitToJobStartedMs', 'p50')), 1)} ms`,
    );
  }
  const mem = at(get(`${kind}-memory`));
  if (mem)
    row(
      `job of ${fmt(num(mem.tasks))} tasks accepted`,
      `${fmt(num(mem.submitToJobStartedMs), 1)} ms`,
      `manager RSS ${fmt(num(pick(mem, 'managerRssMb', 'after')))} MB after (${fmt(num(mem.managerBytesPerQueuedTask), 1)} bytes per queued task)`,
    );
  return rows;
}

function allMatching(get: Get & { names?: string[] }, prefix: string): [string, Figures][] {
  return (get.names ?? [])
    .filter((n) => n.startsWith(prefix) && /\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map((n) => [n, get(n) as Figures]);
}

/** ejabberd on one node and two, and manager takeovers (bench/sections/cluster.ts, takeover.ts). */
function scaleOutRows(get: Get): string[] {
  const rows: string[] = [];
  for (const layout of ['one-node', 'two-nodes']) {
    const f = get(`ejabberd-${layout}`);
    if (!f) continue;
    const value = `${fmt(num(f.tasksPerSecond))} tasks/s`;
    rows.push(
      `| ejabberd | ${layout === 'one-node' ? 'one node' : 'two-node cluster'}: ${fmt(num(f.tasks))} no-op tasks, ${fmt(num(f.workers))} simulated workers | ${value} | one-task job p50 ${fmt(num(pick(f, 'oneTaskJobMs', 'p50')), 1)} ms; ${fmt(num(f.roundTripsPerSecond))} round trips/s, one round trip ${fmt(num(f.roundTripMs), 2)} ms (${String(f.placement)}) | ${fmt(num(f.loadAverage1m), 1)} |`,
    );
  }
  for (const signal of ['sigkill', 'sigstop']) {
    const f = get(`takeover-${signal}`);
    if (!f) continue;
    rows.push(
      `| ejabberd cluster + PostgreSQL | ${signal.toUpperCase()} of the active manager → first task dispatched by the new one (n=${fmt(num(f.rounds))}) | median ${fmt(num(pick(f, 'toFirstDispatchMs', 'p50')))} ms, max ${fmt(num(pick(f, 'toFirstDispatchMs', 'max')))} ms | new epoch after ${fmt(num(pick(f, 'toNewEpochMs', 'p50')))} ms (median); --takeover-after ${fmt(num(f.takeoverAfterS))} | ${fmt(num(f.loadAverage1m), 1)} |`,
    );
  }
  return rows;
}

export function report(all: Map<string, Figures>, kinds: string[]): string {
  const get: Get & { names?: string[] } = (name) => all.get(name);
  get.names = [...all.keys()];
  const celery = all.get('celery');
  const celeryTps = num(celery?.tasksPerSecond);
  const lines = [
    '| server | figure | value | compared | load |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const kind of kinds) lines.push(...serverRows(kind, get, celeryTps));
  lines.push(...scaleOutRows(get));
  if (celery)
    lines.push(
      `| RabbitMQ | Celery ${fmt(num(celery.tasks))} no-op tasks, prefork --concurrency ${fmt(num(celery.concurrency))} | **${fmt(celeryTps)} tasks/s** | the peer | ${fmt(num(celery.loadAverage1m), 1)} |`,
    );
  const errors = [...all].filter(([n]) => n.endsWith('-error'));
  return [
    lines.join('\n'),
    '',
    '“load” is the machine’s 1-minute load average when the figure was taken (2 cores: above 2, other work took CPU from the processes measured).',
    '',
    'Published anchors: ' + ANCHORS.join('; ') + '.',
    ...errors.map(([n, f]) => `\n**${n}**: ${String(f.error)}`),
  ].join('\n');
}
