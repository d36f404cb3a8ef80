// Realistic data for component tests: what a head node with a few jobs and a volunteer's worker
// actually report (shapes from shared/api.ts, values from runs of `kestrel demo`).
import type {
  JobDetail,
  JobSummary,
  PoolCounters,
  VolunteerSnapshot,
  WorkerView,
} from '../../shared/api.ts';
import { DEFAULT_SETTINGS } from '../../src-main/volunteer/settings.ts';

export const T0 = Date.parse('2026-03-02T10:00:00Z');

export function summary(over: Partial<JobSummary> = {}): JobSummary {
  return {
    jobId: 3,
    owner: 'admin@lab.example',
    command: 'sh ~/count-primes.sh /srv/out 50000',
    queue: 40,
    state: 'running',
    counts: { queued: 20, running: 4, done: 16, failed: 0, cancelled: 0 },
    submittedAt: T0,
    etaSeconds: 95,
    ...over,
  };
}

export function detail(over: Partial<JobDetail> = {}): JobDetail {
  return {
    ...summary(),
    requires: ['linux'],
    cores: 1,
    ram: 512,
    retries: 1,
    failures: [],
    why: { jobId: 3, queued: 20, running: 4, reasons: [], matching: 2 },
    ...over,
  };
}

export function worker(i: number, over: Partial<WorkerView> = {}): WorkerView {
  return {
    jid: `pc-${i}@lab.example/pc-${i}`,
    name: `pc-${i}`,
    state: 'available',
    os: 'Linux',
    ram: 15_890,
    cores: 8,
    slots: 4,
    provides: ['linux'],
    running: [],
    runningCount: 0,
    ...over,
  };
}

export function counters(over: Partial<PoolCounters['workers']> = {}): PoolCounters {
  return {
    workers: { available: 2, busy: 1, paused: 1, unresponsive: 0, reporting: 0, total: 4, ...over },
    slots: { total: 16, used: 5 },
    tasks: { queued: 120, running: 5 },
    jobs: { active: 2, finished: 7 },
  };
}

export function snapshot(over: Partial<VolunteerSnapshot> = {}): VolunteerSnapshot {
  return {
    state: 'working',
    reason: 'ok',
    running: 2,
    slots: 4,
    manager: 'manager@lab.example',
    jid: 'anna-laptop-3f2a1c@lab.example/anna-laptop',
    error: undefined,
    configured: true,
    suspended: 0,
    idle: {
      source: 'electron',
      available: true,
      detail: 'Electron powerMonitor',
      idleSeconds: 412,
    },
    settings: { ...DEFAULT_SETTINGS, onlyWhenIdle: true, idleSeconds: 300 },
    tasks: [
      {
        jobId: 41,
        index: 1207,
        attempt: 1,
        command: '~/render-frame.sh',
        submitter: 'maria@lab.example',
        startedAt: T0 - 83_000,
        cpuSeconds: 79,
        suspended: false,
      },
      {
        jobId: 41,
        index: 1208,
        attempt: 2,
        command: '~/render-frame.sh',
        submitter: 'maria@lab.example',
        startedAt: T0 - 12_000,
        cpuSeconds: 11,
        suspended: false,
      },
    ],
    totals: {
      tasks: 3_482,
      cpuHours: 212.4,
      today: { tasks: 96, cpuHours: 5.1 },
      days: [{ date: '2026-12-01', tasks: 96, cpuHours: 5.1 }],
    },
    isolation: {
      kind: 'bubblewrap',
      detail:
        'Tasks run in a bubblewrap sandbox: they cannot read your files or the worker’s password.',
    },
    ...over,
  };
}
