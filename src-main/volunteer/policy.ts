// When a volunteer's machine takes tasks, and how many at once: a pure function of what the
// volunteer chose and what the machine reports, so every rule is testable from a table.
import type { VolunteerReason, VolunteerSettings } from '../../shared/ipc.ts';

export type PolicySettings = Pick<
  VolunteerSettings,
  'paused' | 'onlyWhenIdle' | 'idleSeconds' | 'notOnBattery' | 'cpuCap'
>;

export interface Observations {
  /** Seconds since the last keyboard or mouse input. */
  idleFor: number;
  onBattery: boolean;
  /** Logical cores. */
  cores: number;
}

export interface Decision {
  /** Whether to take new tasks. Running tasks always finish: a pause only stops new ones. */
  run: boolean;
  reason: VolunteerReason;
  /** Tasks to offer at once. */
  slots: number;
}

/** Slots for a CPU cap: the share of the cores, rounded down, but never less than one task. */
export function slotsFor(cores: number, cpuCap: number): number {
  return Math.max(1, Math.floor((cores * cpuCap) / 100));
}

/**
 * The volunteer's own pause wins over everything; then "only when I am away"; then "not on
 * battery". The first rule that holds is the reason reported, so the UI names the one the
 * volunteer can act on first.
 */
export function decide(settings: PolicySettings, observed: Observations): Decision {
  const slots = slotsFor(observed.cores, settings.cpuCap);
  const stop = (reason: VolunteerReason): Decision => ({ run: false, reason, slots });
  if (settings.paused) return stop('paused');
  if (settings.onlyWhenIdle && observed.idleFor < settings.idleSeconds) return stop('user_active');
  if (settings.notOnBattery && observed.onBattery) return stop('on_battery');
  return { run: true, reason: 'ok', slots };
}
