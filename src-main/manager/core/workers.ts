import { give, slotOnly, take, type Capacity } from './matching.ts';
import type { JobSpec, PresenceShow, TaskRef, WorkerProfile } from './types.ts';

/** The manager's view of one worker (keyed by full JID). */
export interface WorkerState {
  readonly jid: string;
  profile: WorkerProfile | undefined;
  show: PresenceShow | undefined;
  /**
   * Tasks the manager assigned to this worker, by task key, in the order they were sent: those
   * it runs and those it holds ahead (below). Requeued alike when it goes.
   */
  readonly running: Map<number, TaskRef>;
  /**
   * Keys of `running` handed out ahead of a free slot (prefetched), oldest first: slot-only tasks
   * the worker queues and starts, in this order, as its slots free. They take no capacity until
   * then; the worker starts the oldest the moment a slot frees, and so does this model.
   */
  readonly ahead: Set<number>;
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
    ahead: new Set(),
    free: { slots: 0, cores: 0, ram: 0 },
    expectedUntil: undefined,
    refused: new Set(),
  };
}

/** Presence show values that mean "do not send new work" (Kestrel: dnd/away/xa are busy or paused). */
export function isEligible(worker: WorkerState): boolean {
  return worker.profile !== undefined && (worker.show === undefined || worker.show === 'chat');
}

/**
 * Most tasks one worker holds ahead of its free slots, whatever it offers: a worker that dies
 * takes at most this many more tasks with it (they are requeued like its running ones).
 */
export const MAX_AHEAD = 32;

/** How many more tasks this worker may be handed ahead of a free slot. */
export function aheadRoom(worker: WorkerState): number {
  const offered = Math.min(worker.profile?.prefetch ?? 0, MAX_AHEAD);
  return offered - worker.ahead.size;
}

/** Tasks the worker runs now, in this model (those held ahead wait for a slot). */
export const runningCount = (worker: WorkerState): number =>
  worker.running.size - worker.ahead.size;

/**
 * Recompute free capacity from the profile and the tasks it holds: those that ask for cores or
 * ram run (they are never sent ahead), then slot-only ones in the order they were sent while
 * slots last, and the rest wait ahead (the worker starts tasks in that order, docs/PROTOCOL.md).
 */
export function resetCapacity(
  worker: WorkerState,
  specOf: (jobId: number) => JobSpec | undefined,
): void {
  const profile = worker.profile;
  if (!profile) return;
  worker.free = { slots: profile.slots, cores: profile.cores, ram: profile.ram };
  worker.ahead.clear();
  const slotOnlyKeys: number[] = [];
  for (const [key, ref] of worker.running) {
    const spec = specOf(ref.jobId);
    if (spec === undefined) continue;
    if (slotOnly(spec)) slotOnlyKeys.push(key);
    else take(worker.free, spec);
  }
  for (const key of slotOnlyKeys) {
    if (worker.free.slots > 0) worker.free.slots -= 1;
    else worker.ahead.add(key);
  }
}

export function occupy(worker: WorkerState, key: number, ref: TaskRef, spec: JobSpec): void {
  worker.running.set(key, ref);
  take(worker.free, spec);
}

/** Assign a slot-only task ahead of a free slot: the worker queues it. */
export function holdAhead(worker: WorkerState, key: number, ref: TaskRef): void {
  worker.running.set(key, ref);
  worker.ahead.add(key);
}

/**
 * The task left the worker (ended, cancelled, given back, requeued). A task that held a slot
 * frees it, and the worker starts the oldest task it holds ahead there at once: returns the keys
 * of the tasks that started so.
 */
export function release(worker: WorkerState, key: number, spec: JobSpec | undefined): number[] {
  const started: number[] = [];
  if (!worker.running.delete(key) || worker.ahead.delete(key)) return started;
  if (spec) give(worker.free, spec);
  for (const next of worker.ahead) {
    if (worker.free.slots <= 0) break;
    worker.ahead.delete(next);
    worker.free.slots -= 1; // slot-only: a slot is all it takes
    started.push(next);
  }
  return started;
}

export function taskKey(jobId: number, index: number): number {
  // MAX_QUEUE is below 2^24, so job ids up to 2^29 keep the key an exact integer.
  return jobId * 0x1000000 + index;
}

export const jobOfKey = (key: number): number => Math.floor(key / 0x1000000);
export const indexOfKey = (key: number): number => key % 0x1000000;
