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
  celeryTasks: 100_000,
  takeovers: 10,
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
  celeryTasks: 500,
  takeovers: 1,
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
  --celery-tasks N        tasks of the Celery bag (default ${DEFAULT.celeryTasks}); --no-celery skips it
  --takeovers N           rounds of SIGKILL and of SIGSTOP of the active manager (default ${DEFAULT.takeovers});
                          --no-scale-out skips them and ejabberd on one node vs two
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
      'celery-tasks': { type: 'string' },
      'no-celery': { type: 'boolean', default: false },
      takeovers: { type: 'string' },
      'no-scale-out': { type: 'boolean', default: false },
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
    celeryTasks: n(values['celery-tasks'], base.celeryTasks),
    takeovers: n(values.takeovers, base.takeovers),
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
    profile: values.profile,
    prosodyDefaultGc: values['prosody-default-gc'],
    resultsDir: values.results,
  };
}
