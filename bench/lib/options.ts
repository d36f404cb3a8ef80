// The bench's command line: `npm run bench -- [--smoke] [--servers …] [--workers 100,1000] …`.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { Sizes } from './context.ts';
import type { ServerKind } from './servers.ts';

// The ceiling right after throughput: their ratio is fairest when both see the same machine load.
export const SECTIONS = [
  'throughput',
  'ceiling',
  'store',
  'real',
  'scale',
  'failure',
  'memory',
  'curves',
] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  smoke: boolean;
  servers: ServerKind[];
  sections: Section[];
  sizes: Sizes;
  celery: boolean;
  /** The scale-out figures: ejabberd on one node and two, and manager takeovers. */
  scaleOut: boolean;
  bullmq: boolean;
  /** Where the SVG charts of the curves go (docs/ for a full run; the results directory for --smoke). */
  chartsDir: string | undefined;
  /** Profile the manager (node --cpu-prof) and summarize each section's profile. */
  profile: boolean;
  /** Run Prosody with its default garbage collector settings instead of the tuned ones. */
  prosodyDefaultGc: boolean;
  /** Where the JSON files go; bench/results by default. */
  resultsDir: string | undefined;
}

/** Fits in about ten minutes on the 2-core reference machine. */
const DEFAULT: Sizes = {
  workers: [100, 1000],
  tasks: 100_000,
  scale: [10_000],
  kills: 50,
  frozen: 5,
  bigJob: 1_000_000,
  ceilingSeconds: 8,
  realWorkers: 20,
  realTasks: 10_000,
  realSlots: 4,
  celeryTasks: 100_000,
  takeovers: 10,
  peerShellTasks: 10_000,
  bullmqTasks: 100_000,
  curveWorkers: [10, 100, 1000, 5000],
  curveTasks: 100_000,
  curveJobs: [1000, 10_000, 100_000, 1_000_000],
  curveQueued: [100_000, 1_000_000, 3_000_000, 10_000_000],
};

/** Under a minute: every figure, at toy sizes, to prove the bench still works. */
const SMOKE: Sizes = {
  workers: [20],
  tasks: 2_000,
  scale: [50],
  kills: 3,
  frozen: 1,
  bigJob: 10_000,
  ceilingSeconds: 2,
  realWorkers: 2,
  realTasks: 50,
  realSlots: 4,
  celeryTasks: 500,
  takeovers: 1,
  peerShellTasks: 50,
  bullmqTasks: 500,
  curveWorkers: [5, 20],
  curveTasks: 500,
  curveJobs: [100, 1000],
  curveQueued: [10_000, 100_000],
};

export const USAGE = `usage: npm run bench -- [options]
  --smoke                 toy sizes, one server, under a minute
  --servers LIST          embedded,prosody (default: every one available)
  --sections LIST         ${SECTIONS.join(',')} (default: all)
  --workers LIST          simulated workers for throughput and ceiling (default ${DEFAULT.workers})
  --tasks N               tasks of the throughput job (default ${DEFAULT.tasks})
  --scale LIST            workers for the login storm (default ${DEFAULT.scale})
  --kills N, --frozen N   SIGKILLed and SIGSTOPped workers (default ${DEFAULT.kills}, ${DEFAULT.frozen})
  --big-job N             tasks of the memory job (default ${DEFAULT.bigJob})
  --real-workers N, --real-tasks N   real worker processes running \`true\` (default ${DEFAULT.realWorkers}, ${DEFAULT.realTasks})
  --takeovers N           rounds of SIGKILL and of SIGSTOP of the active manager (default ${DEFAULT.takeovers});
                          --no-scale-out skips them and ejabberd on one node vs two
  --real-slots N          slots of the one worker compared with the bare spawner (default ${DEFAULT.realSlots})
  --celery-tasks N        tasks of the Celery no-op bag (default ${DEFAULT.celeryTasks}); --no-celery skips it
  --bullmq-tasks N        tasks of the BullMQ no-op bag (default ${DEFAULT.bullmqTasks}); --no-bullmq skips it
  --peer-shell-tasks N    tasks of the peers' bags of \`true\` (default ${DEFAULT.peerShellTasks})
  --curve-workers LIST, --curve-tasks N, --curve-jobs LIST, --curve-queued LIST   the curves (default ${DEFAULT.curveWorkers}; ${DEFAULT.curveTasks}; ${DEFAULT.curveJobs}; ${DEFAULT.curveQueued})
  --charts DIR            where the curves' SVG charts go (default docs/, or the results directory with --smoke)
  --ceiling-seconds S     duration of each transport-ceiling run (default ${DEFAULT.ceilingSeconds})
  --profile               node --cpu-prof on the manager; profiles in bench/results/profiles
  --prosody-default-gc    Prosody with its default Lua GC settings
  --results DIR           where the JSON files go (default bench/results)
(${availableParallelism()} cores here)`;

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const numbers = (s: string) => list(s).map(Number);

export function parseOptions(argv: string[], available: ServerKind[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      smoke: { type: 'boolean', default: false },
      servers: { type: 'string' },
      sections: { type: 'string' },
      workers: { type: 'string' },
      tasks: { type: 'string' },
      scale: { type: 'string' },
      kills: { type: 'string' },
      frozen: { type: 'string' },
      'big-job': { type: 'string' },
      'real-workers': { type: 'string' },
      'real-tasks': { type: 'string' },
      'real-slots': { type: 'string' },
      'celery-tasks': { type: 'string' },
      'no-celery': { type: 'boolean', default: false },
      takeovers: { type: 'string' },
      'no-scale-out': { type: 'boolean', default: false },
      'bullmq-tasks': { type: 'string' },
      'no-bullmq': { type: 'boolean', default: false },
      'peer-shell-tasks': { type: 'string' },
      'curve-workers': { type: 'string' },
      'curve-tasks': { type: 'string' },
      'curve-jobs': { type: 'string' },
      'curve-queued': { type: 'string' },
      charts: { type: 'string' },
      'ceiling-seconds': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'prosody-default-gc': { type: 'boolean', default: false },
      results: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const base = values.smoke ? SMOKE : DEFAULT;
  const n = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  const sizes: Sizes = {
    workers: values.workers ? numbers(values.workers) : base.workers,
    tasks: n(values.tasks, base.tasks),
    scale: values.scale ? numbers(values.scale) : base.scale,
    kills: n(values.kills, base.kills),
    frozen: n(values.frozen, base.frozen),
    bigJob: n(values['big-job'], base.bigJob),
    ceilingSeconds: n(values['ceiling-seconds'], base.ceilingSeconds),
    realWorkers: n(values['real-workers'], base.realWorkers),
    realTasks: n(values['real-tasks'], base.realTasks),
    realSlots: n(values['real-slots'], base.realSlots),
    celeryTasks: n(values['celery-tasks'], base.celeryTasks),
    takeovers: n(values.takeovers, base.takeovers),
    peerShellTasks: n(values['peer-shell-tasks'], base.peerShellTasks),
    bullmqTasks: n(values['bullmq-tasks'], base.bullmqTasks),
    curveWorkers: values['curve-workers'] ? numbers(values['curve-workers']) : base.curveWorkers,
    curveTasks: n(values['curve-tasks'], base.curveTasks),
    curveJobs: values['curve-jobs'] ? numbers(values['curve-jobs']) : base.curveJobs,
    curveQueued: values['curve-queued'] ? numbers(values['curve-queued']) : base.curveQueued,
  };
  for (const [key, value] of Object.entries(sizes)) {
    const all = Array.isArray(value) ? value : [value];
    if (all.length === 0 || all.some((x) => !Number.isInteger(x) || x < 1))
      throw new Error(`--${key}: whole numbers ≥ 1 expected\n${USAGE}`);
  }
  const servers = (values.servers ? list(values.servers) : available) as ServerKind[];
  for (const s of servers)
    if (!available.includes(s))
      throw new Error(`--servers: ${s} is not available here (${available})`);
  const sections = (values.sections ? list(values.sections) : [...SECTIONS]) as Section[];
  for (const s of sections)
    if (!SECTIONS.includes(s)) throw new Error(`--sections: unknown ${s} (${SECTIONS})`);
  return {
    smoke: values.smoke,
    // The smoke run proves the bench works; one server is enough for that.
    servers: values.smoke && !values.servers ? servers.slice(0, 1) : servers,
    sections,
    sizes,
    celery: !values['no-celery'],
    scaleOut: !values['no-scale-out'],
    bullmq: !values['no-bullmq'],
    chartsDir: values.charts,
    profile: values.profile,
    prosodyDefaultGc: values['prosody-default-gc'],
    resultsDir: values.results,
  };
}
