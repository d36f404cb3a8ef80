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

const pct = (a: number | undefined, b: number | undefined) => {
  const r = ratio(a, b);
  return r === undefined ? '—' : `${fmt(100 * r)} %`;
};
const times = (a: number | undefined, b: number | undefined, what: string) => {
  const r = ratio(a, b);
  return r === undefined ? undefined : `${fmt(r, 2)}× ${what}`;
};

interface Peers {
  celery?: number;
  celeryShell?: number;
  bullmq?: number;
  bullmqSpawn?: number;
}

/** Real tasks (bench/sections/real.ts): each worker figure beside the limit taken just before it. */
function realRows(kind: string, get: Get, peers: Peers, row: Row, at: At): void {
  const tps = (name: string) => num(get(`${kind}-${name}`)?.tasksPerSecond);
  const xargs = at(get(`${kind}-limit-xargs`));
  const slots = num(get(`${kind}-real-w1`)?.slots);
  const spawner = at(get(`${kind}-limit-spawner`));
  if (spawner)
    row(
      `limit: bare Node spawner, ${fmt(num(spawner.parallel))} at a time, \`sh -c 'true I'\``,
      `${fmt(num(spawner.tasksPerSecond))} tasks/s`,
      'one Node process spawning as a worker does',
    );
  const w1 = at(get(`${kind}-real-w1`));
  if (w1)
    row(
      `one worker process, ${fmt(slots)} slots, ${fmt(num(w1.tasks))} tasks of \`true\`, unsandboxed`,
      `**${fmt(num(w1.tasksPerSecond))} tasks/s**`,
      [
        `${pct(num(w1.tasksPerSecond), tps('limit-spawner'))} of the bare spawner`,
        `${pct(num(w1.tasksPerSecond), tps('limit-xargs'))} of xargs -P ${fmt(slots)}`,
        times(num(w1.tasksPerSecond), peers.celeryShell, 'Celery (subprocess)'),
        times(num(w1.tasksPerSecond), peers.bullmqSpawn, 'BullMQ (spawn)'),
      ]
        .filter(Boolean)
        .join('; '),
    );
  const spawnerSandbox = at(get(`${kind}-limit-spawner-sandbox`));
  if (spawnerSandbox)
    row(
      `limit: bare Node spawner, ${fmt(num(spawnerSandbox.parallel))} at a time, the sandbox's bwrap command line`,
      `${fmt(num(spawnerSandbox.tasksPerSecond))} tasks/s`,
      'bwrap + its PID 1 reporter (perl) + sh',
    );
  const w1s = at(get(`${kind}-real-w1-sandbox`));
  if (w1s)
    row(
      `one worker process, ${fmt(slots)} slots, ${fmt(num(w1s.tasks))} tasks of \`true\`, sandboxed`,
      `**${fmt(num(w1s.tasksPerSecond))} tasks/s**`,
      `${pct(num(w1s.tasksPerSecond), tps('limit-spawner-sandbox'))} of the bare spawner running the same bwrap command line`,
    );
  if (xargs)
    row(
      `limit: \`xargs -P ${fmt(num(xargs.parallel))}\` running \`sh -c 'true I'\``,
      `${fmt(num(xargs.tasksPerSecond))} tasks/s`,
      'fork/exec from a small C program',
    );
}

type Row = (figure: string, value: string, note?: string) => void;
type At = (f: Figures | undefined) => Figures | undefined;

function curveRow(kind: string, get: Get & { names?: string[] }, row: Row, at: At): void {
  const series = (prefix: string, x: string, y: string, unit: string) =>
    allMatching(get, `${kind}-${prefix}`)
      .map(([, f]) => {
        at(f);
        return `${fmt(num(f[x]))} → ${fmt(num(f[y]))}${unit}`;
      })
      .join(', ');
  const workers = series('curve-workers-', 'workers', 'tasksPerSecond', '');
  if (workers) row('curve: tasks/s against simulated workers', workers, 'docs/bench-workers.svg');
  const jobs = series('curve-job-', 'tasks', 'tasksPerSecond', '');
  if (jobs) row('curve: tasks/s against tasks in the job', jobs, 'docs/bench-job-size.svg');
  const queued = series('curve-queued-', 'queued', 'managerRssMb', ' MB');
  if (queued) row('curve: manager RSS against queued tasks', queued, 'docs/bench-memory.svg');
}

function serverRows(kind: string, get: Get, peers: Peers): string[] {
  const celeryTps = peers.celery;
  const rows: string[] = [];
  let load: unknown;
  const row: Row = (figure, value, note = '') =>
    rows.push(`| ${kind} | ${figure} | ${value} | ${note} | ${fmt(num(load), 1)} |`);
  const at: At = (f) => {
    load = f?.loadAverage1m;
    return f;
  };
  for (const [name, f] of allMatching(get, `${kind}-throughput-w`)) {
    at(f);
    const w = name.slice(`${kind}-throughput-w`.length);
    const tps = num(f.tasksPerSecond);
    const rt = num(get(`${kind}-ceiling-w${w}`)?.roundTripsPerSecond);
    const rt2 = num(get(`${kind}-ceiling2-w${w}`)?.roundTripsPerSecond);
    row(
      `end to end, ${fmt(num(f.tasks))} no-op tasks, ${w} simulated workers`,
      `**${fmt(tps)} tasks/s**`,
      [
        `${pct(tps, rt)} of the ceiling (${fmt(rt)} round trips/s, 1 in flight per client)`,
        rt2 === undefined
          ? undefined
          : `${pct(tps, rt2)} of it with 2 in flight (${fmt(rt2)}/s), as a worker with a task ahead has`,
        times(tps, celeryTps, 'Celery'),
        times(tps, peers.bullmq, 'BullMQ'),
      ]
        .filter(Boolean)
        .join('; '),
    );
  }
  realRows(kind, get, peers, row, at);
  const real = at(get(`${kind}-throughput-real`));
  if (real)
    row(
      `end to end, ${fmt(num(real.tasks))} tasks of \`true\`, ${fmt(num(real.workers))} \`kestrel worker\` processes of 1 slot`,
      `${fmt(num(real.tasksPerSecond))} tasks/s`,
      `${pct(num(real.tasksPerSecond), num(get(`${kind}-limit-xargs`)?.tasksPerSecond))} of xargs; ${String(real.sandbox ?? '')}`,
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
  curveRow(kind, get, row, at);
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
  const tpsOf = (name: string) => num(all.get(name)?.tasksPerSecond);
  const peers: Peers = {
    celery: tpsOf('celery'),
    celeryShell: tpsOf('celery-shell'),
    bullmq: tpsOf('bullmq'),
    bullmqSpawn: tpsOf('bullmq-spawn'),
  };
  const lines = [
    '| server | figure | value | compared | load |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const kind of kinds) lines.push(...serverRows(kind, get, peers));
  lines.push(...scaleOutRows(get));
  const peerRow = (server: string, name: string, what: (f: Figures) => string) => {
    const f = all.get(name);
    if (f)
      lines.push(
        `| ${server} | ${what(f)} | **${fmt(num(f.tasksPerSecond))} tasks/s** | the peer | ${fmt(num(f.loadAverage1m), 1)} |`,
      );
  };
  peerRow(
    'RabbitMQ',
    'celery',
    (f) =>
      `Celery ${fmt(num(f.tasks))} no-op tasks, prefork --concurrency ${fmt(num(f.concurrency))}`,
  );
  peerRow(
    'RabbitMQ',
    'celery-shell',
    (f) =>
      `Celery ${fmt(num(f.tasks))} tasks of \`subprocess.run(['sh','-c','true I'])\`, prefork --concurrency ${fmt(num(f.concurrency))}`,
  );
  peerRow(
    'Redis',
    'bullmq',
    (f) => `BullMQ ${fmt(num(f.tasks))} no-op jobs, concurrency ${fmt(num(f.concurrency))}`,
  );
  peerRow(
    'Redis',
    'bullmq-spawn',
    (f) =>
      `BullMQ ${fmt(num(f.tasks))} jobs of \`execFile('sh', ['-c', 'true I'])\`, concurrency ${fmt(num(f.concurrency))}`,
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
