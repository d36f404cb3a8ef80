import { give, take, type Capacity } from './matching.ts';
import type { JobSpec, PresenceShow, TaskRef, WorkerProfile } from './types.ts';

/** The manager's view of one worker (keyed by full JID). */
export interface WorkerState {
  readonly jid: string;
  profile: WorkerProfile | undefined;
  show: PresenceShow | undefined;
  /** Tasks the manager believes this worker runs, by task key. */
  readonly running: Map<number, TaskRef>;
  free: Capacity;
  /** Set while a restarted manager waits for a worker it had assigned tasks to. */
  expectedUntil: number | undefined;
  /** Jobs this worker gave back as `blocked` (its owner will not run them): none goes there again. */
  readonly refused: Set<number>;
}

export function createWorkerState(jid: string): WorkerState {
  return {
    jid,
    profile: undefined,
    show: undefined,
    running: new Map(),
    free: { slots: 0, cores: 0, ram: 0 },
    expectedUntil: undefined,
    refused: new Set(),
  };
}

/** Presence show values that mean "do not send new work" (Kestrel: dnd/away/xa are busy or paused). */
export function isEligible(worker: WorkerState): boolean {
  return worker.profile !== undefined && (worker.show === undefined || worker.show === 'chat');
}

/** Recompute free capacity from the profile and the tasks believed running. */
export function resetCapacity(
  worker: WorkerState,
  specOf: (jobId: number) => JobSpec | undefined,
): void {
  const profile = worker.profile;
  if (!profile) return;
  worker.free = { slots: profile.slots, cores: profile.cores, ram: profile.ram };
  for (const ref of worker.running.values()) {
    const spec = specOf(ref.jobId);
    if (spec) take(worker.free, spec);
  }
}

export function occupy(worker: WorkerState, key: number, ref: TaskRef, spec: JobSpec): void {
  worker.running.set(key, ref);
  take(worker.free, spec);
}

export function release(worker: WorkerState, key: number, spec: JobSpec | undefined): void {
  if (!worker.running.delete(key)) return;
  if (spec) give(worker.free, spec);
}

export function taskKey(jobId: number, index: number): number {
  // MAX_QUEUE is below 2^24, so job ids up to 2^29 keep the key an exact integer.
  return jobId * 0x1000000 + index;
}

export const jobOfKey = (key: number): number => Math.floor(key / 0x1000000);
export const indexOfKey = (key: number): number => key % 0x1000000;
