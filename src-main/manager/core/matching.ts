import type { JobSpec, WorkerProfile } from './types.ts';

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

/** How many more tasks of the job fit in the capacity left. */
export function fits(free: Capacity, spec: Pick<JobSpec, 'cores' | 'ram'>): number {
  let n = free.slots;
  if (spec.cores > 0) n = Math.min(n, Math.floor(free.cores / spec.cores));
  if (spec.ram > 0) n = Math.min(n, Math.floor(free.ram / spec.ram));
  return Math.max(0, n);
}

export function take(free: Capacity, spec: JobSpec): void {
  free.slots -= 1;
  free.cores -= spec.cores;
  free.ram -= spec.ram;
}

export function give(free: Capacity, spec: JobSpec): void {
  free.slots += 1;
  free.cores += spec.cores;
  free.ram += spec.ram;
}
