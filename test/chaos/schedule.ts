// The fault schedule of a chaos run: pure, and a function of its seed alone, so `--seed N` replays
// the same faults in the same order. Faults are placed by job progress (the fraction of tasks
// recorded done) rather than by wall time: a slow machine then meets every fault before the job
// ends, and the job's last stretch stays quiet so its `job_finished` is not sent into a restart.

// The last three only in the scale-out mode (several managers on PostgreSQL, an ejabberd
// cluster); new kinds go at the end, so an old seed still gives the same schedule.
export const FAULT_KINDS = [
  'worker_kill',
  'worker_stop',
  'manager_kill',
  'server_restart',
  'net_freeze',
  'net_cut',
  'manager_stop',
  'node_kill',
  'postgres_restart',
] as const;

/** Faults that stop the manager, the XMPP server or the store: never in the job's last stretch. */
export const RESTART_KINDS: ReadonlySet<FaultKind> = new Set([
  'manager_kill',
  'server_restart',
  'manager_stop',
  'node_kill',
  'postgres_restart',
]);

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultEvent {
  kind: FaultKind;
  /** Inject once this fraction of the job's tasks is recorded done (0 to 1). */
  at: number;
  /** The worker slot hit (worker faults); the driver moves on to the next slot if it is busy. */
  slot: number;
  /**
   * How long the fault lasts, in ms: a worker stays stopped or cut off, the manager stays dead,
   * a killed worker's replacement waits this long to start. 0 for server_restart.
   */
  holdMs: number;
  /** worker_kill only: the replacement logs in with the dead worker's account and name. */
  reuseIdentity: boolean;
}

export interface ScheduleOptions {
  seed: number;
  /** Worker slots to pick targets from. */
  workers: number;
  counts: Readonly<Record<FaultKind, number>>;
  /** The manager's ping interval: a stopped worker stays stopped longer than this. */
  pingIntervalMs: number;
  /** manager_stop: how long a frozen active manager keeps its lock (default 3000 ms). */
  takeoverAfterMs?: number;
}

/** Progress windows: restarts of the manager or server come early, so the tail is quiet. */
const WINDOWS: Readonly<Record<FaultKind, readonly [number, number]>> = {
  worker_kill: [0.03, 0.8],
  worker_stop: [0.03, 0.8],
  manager_kill: [0.05, 0.6],
  server_restart: [0.05, 0.6],
  net_freeze: [0.03, 0.8],
  net_cut: [0.03, 0.8],
  manager_stop: [0.05, 0.6],
  node_kill: [0.05, 0.6],
  postgres_restart: [0.05, 0.6],
};

/** mulberry32: a small, fast 32-bit PRNG; good enough to scatter faults, and replayable. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function holdFor(kind: FaultKind, pingIntervalMs: number, takeoverMs: number, r: number): number {
  const between = (lo: number, hi: number) => Math.round(lo + (hi - lo) * r);
  switch (kind) {
    case 'worker_kill':
      return between(0, 2000);
    case 'worker_stop':
      // Longer than a ping interval plus the ping timeout, so the manager gives the worker up.
      return between(1.5 * pingIntervalMs + 1000, 3 * pingIntervalMs + 2000);
    case 'manager_kill':
      return between(200, 3000);
    case 'server_restart':
      return 0;
    case 'net_freeze':
      return between(1.5 * pingIntervalMs + 1000, 3 * pingIntervalMs + 2000);
    case 'net_cut':
      return between(1000, 5000);
    case 'manager_stop':
      // Frozen past the point where PostgreSQL ends its lock session and a standby takes over.
      return between(takeoverMs + 1000, takeoverMs + 4000);
    case 'node_kill':
      // The node stays dead this long, then starts again and rejoins.
      return between(1000, 5000);
    case 'postgres_restart':
      return 0;
  }
}

export function createSchedule(options: ScheduleOptions): FaultEvent[] {
  const { seed, workers, counts, pingIntervalMs } = options;
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError('workers must be ≥ 1');
  const random = createRandom(seed);
  const events: FaultEvent[] = [];
  for (const kind of FAULT_KINDS) {
    const n = counts[kind];
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`count of ${kind} must be ≥ 0`);
    const [from, to] = WINDOWS[kind];
    for (let i = 0; i < n; i += 1) {
      // Stratified: the i-th fault of a kind falls in the i-th slice of its window, so faults of
      // one kind are spread over the job instead of clumping.
      const slice = (to - from) / n;
      events.push({
        kind,
        at: Number((from + slice * (i + random())).toFixed(4)),
        slot: Math.floor(random() * workers),
        holdMs: holdFor(kind, pingIntervalMs, options.takeoverAfterMs ?? 3000, random()),
        reuseIdentity: kind === 'worker_kill' && random() < 0.5,
      });
    }
  }
  // Stable: equal progress keeps FAULT_KINDS order.
  return events.sort((a, b) => a.at - b.at);
}

/** How many events of each kind a schedule holds. */
export function countByKind(events: readonly FaultEvent[]): Record<FaultKind, number> {
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const e of events) counts[e.kind] += 1;
  return counts;
}
