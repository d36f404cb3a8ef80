// Reads the machine profile a worker announces to the manager (seed 002):
// `{"type": "profile", "os": "Linux", "ram": 4096, "cores": 4, "provides": ["FOO", "BAR"]}`.
import si from 'systeminformation';
import { MAX_BATCH } from '../../shared/protocol/limits.ts';

export interface ProfileOptions {
  /** Capability tags set by the volunteer or admin; a job's `requires` must be a subset. */
  provides?: string[];
  /** Tasks run at once; defaults to the number of logical cores. */
  slots?: number;
  /** Tasks taken ahead of free slots (docs/PROTOCOL.md, prefetch); defaults to the slots. */
  prefetch?: number;
}

export interface Profile {
  /** 'Linux' | 'Windows' | 'Darwin', or the platform name as systeminformation reports it. */
  os: string;
  /** Total memory in MB. */
  ram: number;
  /** Logical cores. */
  cores: number;
  /** Sorted, without duplicates. */
  provides: string[];
  slots: number;
  /**
   * Tasks the manager may send beyond the free slots: the worker queues them and starts the next
   * the moment a slot frees, so a short task does not wait a round trip. Absent: none.
   */
  prefetch?: number;
}

export class ProfileOptionsError extends Error {
  readonly code = 'profile-invalid-options';
  override readonly name = 'ProfileOptionsError';
}

const OS_NAMES: Readonly<Record<string, string>> = {
  linux: 'Linux',
  windows: 'Windows',
  win32: 'Windows',
  darwin: 'Darwin',
};

export async function readProfile(options: ProfileOptions = {}): Promise<Profile> {
  const { provides = [], slots, prefetch } = options;
  if (slots !== undefined && !(Number.isSafeInteger(slots) && slots >= 1)) {
    throw new ProfileOptionsError('slots must be a positive integer');
  }
  if (prefetch !== undefined && !(Number.isSafeInteger(prefetch) && prefetch >= 0)) {
    throw new ProfileOptionsError('prefetch must be a whole number');
  }
  if (!provides.every((tag) => typeof tag === 'string' && tag !== '')) {
    throw new ProfileOptionsError('provides must be a list of non-empty strings');
  }
  const [osInfo, cpu, mem] = await Promise.all([si.osInfo(), si.cpu(), si.mem()]);
  const cores = Math.max(1, cpu.cores);
  return {
    os: OS_NAMES[osInfo.platform.toLowerCase()] ?? osInfo.platform,
    ram: Math.round(mem.total / 2 ** 20),
    cores,
    provides: [...new Set(provides)].sort(),
    slots: slots ?? cores,
    // The protocol's bound; a manager takes at most its own, smaller one.
    prefetch: Math.min(prefetch ?? slots ?? cores, MAX_BATCH),
  };
}

/**
 * The profile offering `slots` slots, and as many tasks ahead of them (prefetch's default): a
 * volunteer whose owner lowers the CPU cap holds no more tasks than it could start.
 */
export function offeringSlots(profile: Profile, slots: number): Profile {
  return { ...profile, slots, prefetch: Math.min(slots, MAX_BATCH) };
}
