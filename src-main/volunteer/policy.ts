// When a worker's machine computes, and how much: a pure function of what its owner chose, what
// the machine reports (probes.ts, idle.ts) and a little memory of the past (hysteresis), with
// the time passed in, so that every rule is testable from a table. The governor applies it.
import type { VolunteerReason, VolunteerSettings, WeekSchedule } from '../../shared/api.ts';

export type PolicySettings = Omit<VolunteerSettings, 'startAtLogin' | 'idleSource'>;

export interface Observations {
  /** Epoch milliseconds. */
  now: number;
  /** Local weekday (0 Sunday … 6 Saturday) and hour of the day (0–24, with fractions) at `now`. */
  weekday: number;
  hour: number;
  /** Seconds since the last keyboard or mouse input; undefined when it cannot be read. */
  idleSeconds: number | undefined;
  onBattery: boolean;
  /** Charge in percent, when known. */
  batteryPercent?: number;
  /** Percent of the whole machine's CPU that other programs used lately (not our tasks). */
  otherCpuPercent?: number;
  /** Percent of memory in use, everything counted. */
  memoryUsedPercent?: number;
  /** Percent of memory the owner's programs leave free (our tasks' memory counted as free). */
  ownerFreePercent?: number;
  /** Logical cores. */
  cores: number;
}

/** What the policy remembers between looks, so that nothing flaps. */
export interface PolicyState {
  /** When other programs were last seen over otherCpuLimit. */
  cpuBusyAt?: number;
  /** Battery below minBatteryPercent, until it is back above it by BATTERY_MARGIN. */
  batteryLow: boolean;
  /** Too little memory free, until there is minFreeMemoryPercent + MEMORY_MARGIN again. */
  memoryLow: boolean;
}

export const INITIAL_STATE: PolicyState = Object.freeze({ batteryLow: false, memoryLow: false });

/** After the last busy reading, tasks stay suspended this long (BOINC: 2 × its 10 s period). */
export const CPU_HOLD_MS = 20_000;
/** Percentage points above a battery or memory threshold before tasks resume. */
export const BATTERY_MARGIN = 5;
export const MEMORY_MARGIN = 5;

export interface Decision {
  /** Take new tasks (presence available). */
  run: boolean;
  /** Stop the running tasks where they stand (presence `xa`). */
  suspend: boolean;
  /** The first rule that holds, so the owner sees the one to act on first. */
  reason: VolunteerReason;
  /** Tasks to offer at once. */
  slots: number;
  /** Percent of CPU time running tasks may use (duty cycle); 100: no throttle. */
  cpuTimeLimit: number;
}

/** Slots for a CPU cap: the share of the cores, rounded down, but never less than one task. */
export function slotsFor(cores: number, cpuCap: number): number {
  return Math.max(1, Math.floor((cores * cpuCap) / 100));
}

/** Whether the schedule allows computing at this local time (BOINC's TIME_SPAN rule). */
export function inSchedule(schedule: WeekSchedule | null, weekday: number, hour: number): boolean {
  if (schedule === null) return true;
  const day = schedule[weekday];
  if (day === null || day === undefined) return false;
  if (day.from === day.to) return true;
  return day.from < day.to ? hour >= day.from && hour < day.to : hour >= day.from || hour < day.to;
}

export function decide(
  settings: PolicySettings,
  observed: Observations,
  previous: PolicyState,
  slotsOverride?: number,
): { decision: Decision; state: PolicyState } {
  const { now } = observed;
  // Every remembered condition is brought up to date first, whichever rule is reported.
  const battery = observed.batteryPercent;
  const batteryLow =
    observed.onBattery &&
    settings.minBatteryPercent > 0 &&
    battery !== undefined &&
    (previous.batteryLow
      ? battery < settings.minBatteryPercent + BATTERY_MARGIN
      : battery < settings.minBatteryPercent);
  const free = observed.ownerFreePercent;
  const memoryLow =
    settings.minFreeMemoryPercent > 0 &&
    free !== undefined &&
    (previous.memoryLow
      ? free < settings.minFreeMemoryPercent + MEMORY_MARGIN
      : free < settings.minFreeMemoryPercent);
  const busyNow =
    settings.otherCpuLimit > 0 &&
    observed.otherCpuPercent !== undefined &&
    observed.otherCpuPercent > settings.otherCpuLimit;
  const cpuBusyAt = busyNow ? now : previous.cpuBusyAt;
  const state: PolicyState = {
    batteryLow,
    memoryLow,
    ...(cpuBusyAt === undefined ? {} : { cpuBusyAt }),
  };

  const slots = slotsOverride ?? slotsFor(observed.cores, settings.cpuCap);
  const decision = (reason: VolunteerReason, suspend: boolean): Decision => ({
    run: reason === 'ok',
    suspend,
    reason,
    slots,
    cpuTimeLimit: settings.cpuTimeLimit,
  });
  const idle = observed.idleSeconds;
  const rules: [boolean, VolunteerReason, boolean][] = [
    [settings.paused, 'paused', settings.pauseMode === 'suspend'],
    [!inSchedule(settings.schedule, observed.weekday, observed.hour), 'schedule', true],
    [settings.notOnBattery && observed.onBattery, 'on_battery', true],
    [batteryLow, 'battery_low', true],
    // With "only when idle", input suspends at once; computing resumes only after idleSeconds
    // without input: the wait is the hysteresis (BOINC's idle_time_to_run).
    [
      settings.onlyWhenIdle && idle !== undefined && idle < settings.idleSeconds,
      'user_active',
      true,
    ],
    [
      settings.onlyWhenIdle && idle === undefined && settings.whenIdleUnknown === 'in_use',
      'idle_unknown',
      true,
    ],
    [memoryLow, 'memory_low', true],
    [
      cpuBusyAt !== undefined && now - cpuBusyAt < CPU_HOLD_MS && settings.otherCpuLimit > 0,
      'cpu_busy',
      true,
    ],
    [
      settings.maxMemoryPercent < 100 &&
        observed.memoryUsedPercent !== undefined &&
        observed.memoryUsedPercent >= settings.maxMemoryPercent,
      'memory_full',
      false,
    ],
  ];
  const hit = rules.find(([holds]) => holds);
  return { decision: hit ? decision(hit[1], hit[2]) : decision('ok', false), state };
}

/**
 * Whether a task that asks for `ramMb` may start now: not if it would bring memory in use past
 * maxMemoryPercent (a task that asks for nothing counts as nothing more).
 */
export function mayStart(
  settings: Pick<PolicySettings, 'maxMemoryPercent'>,
  memory: { usedPercent: number; totalMb: number } | undefined,
  ramMb: number,
): boolean {
  if (memory === undefined || settings.maxMemoryPercent >= 100) return true;
  return memory.usedPercent + (ramMb / memory.totalMb) * 100 <= settings.maxMemoryPercent;
}

/** Tasks held (suspended, or waiting to start) since longer than the limit, to be given back. */
export function overdue<T extends { heldSince: number | undefined }>(
  tasks: readonly T[],
  now: number,
  limitSeconds: number,
): T[] {
  return tasks.filter((t) => t.heldSince !== undefined && now - t.heldSince >= limitSeconds * 1000);
}

/** Why the owner refuses a task (a blocked job or submitter), or undefined when it may run. */
export function refusal(
  settings: Pick<PolicySettings, 'blockedJobs' | 'blockedSubmitters'>,
  task: { jobId: number; owner?: string },
): string | undefined {
  if (settings.blockedJobs.includes(task.jobId)) return `job ${task.jobId} is blocked`;
  if (task.owner !== undefined && settings.blockedSubmitters.includes(task.owner))
    return `${task.owner} is blocked`;
  return undefined;
}
