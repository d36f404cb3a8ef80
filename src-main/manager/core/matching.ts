import type { JobSpec, WorkerProfile } from './types.ts';

/**
 * The slots rule (docs/PROTOCOL.md): a worker runs up to `slots` tasks at once. A job that asks
 * for `cores` (or `ram`) is also limited by what the worker offers of them; a job that does not
 * takes one slot per task and nothing else, so `--slots 20` on a 2-core machine runs 20 tasks of
 * an I/O-bound job at once (as HTCondor's slots do).
 */

/** What a worker has free right now. */
export interface Capacity {
  slots: number;
  cores: number;
  ram: number;
}

/** A job can ever run on a worker that provides every tag it requires (Kestrel: requires ⊆ provides). */
export function provides(profile: WorkerProfile, spec: Pick<JobSpec, 'requires'>): boolean {
  return spec.requires.every((tag) => profile.provides.includes(tag));
}

/** Cores one task takes from a worker: none unless its job asked. */
export const coresOf = (spec: Pick<JobSpec, 'cores'>): number => spec.cores ?? 0;

/** A task that needs only a slot: the only kind a worker may be handed ahead of a free slot. */
export const slotOnly = (spec: Pick<JobSpec, 'cores' | 'ram'>): boolean =>
  coresOf(spec) === 0 && spec.ram === 0;

/** How many more tasks of the job fit in the capacity left. */
export function fits(free: Capacity, spec: Pick<JobSpec, 'cores' | 'ram'>): number {
  let n = free.slots;
  const cores = coresOf(spec);
  if (cores > 0) n = Math.min(n, Math.floor(free.cores / cores));
  if (spec.ram > 0) n = Math.min(n, Math.floor(free.ram / spec.ram));
  return Math.max(0, n);
}

export function take(free: Capacity, spec: Pick<JobSpec, 'cores' | 'ram'>): void {
  free.slots -= 1;
  free.cores -= coresOf(spec);
  free.ram -= spec.ram;
}

export function give(free: Capacity, spec: Pick<JobSpec, 'cores' | 'ram'>): void {
  free.slots += 1;
  free.cores += coresOf(spec);
  free.ram += spec.ram;
}
