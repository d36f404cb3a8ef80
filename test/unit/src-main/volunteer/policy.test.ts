// The policy from tables: each rule alone, their order, and the hysteresis of each, with the
// clock and every reading given by the test.
import { describe, expect, it } from 'vitest';
import type { VolunteerReason, WeekSchedule } from '../../../../shared/api.ts';
import {
  BATTERY_MARGIN,
  CPU_HOLD_MS,
  decide,
  inSchedule,
  INITIAL_STATE,
  mayStart,
  MEMORY_MARGIN,
  overdue,
  slotsFor,
  type Decision,
  type Observations,
  type PolicySettings,
  type PolicyState,
} from '../../../../src-main/volunteer/policy.ts';
import { DEDICATED_SETTINGS, parseSchedule } from '../../../../src-main/volunteer/settings.ts';

/** Every rule off: each row turns on what it tests. */
const base: PolicySettings = { ...DEDICATED_SETTINGS, cpuCap: 100 };
/** Tuesday noon, nobody at the keyboard for an hour, on mains, plenty of memory, no other load. */
const calm: Observations = {
  now: 1_000_000,
  weekday: 2,
  hour: 12,
  idleSeconds: 3600,
  onBattery: false,
  batteryPercent: 80,
  otherCpuPercent: 0,
  memoryUsedPercent: 40,
  ownerFreePercent: 60,
  cores: 8,
};

const once = (settings: Partial<PolicySettings>, observed: Partial<Observations>) =>
  decide({ ...base, ...settings }, { ...calm, ...observed }, INITIAL_STATE).decision;

type Row = [string, Partial<PolicySettings>, Partial<Observations>, VolunteerReason, boolean];

describe('volunteer policy: each rule', () => {
  it.each<Row>([
    ['runs by default', {}, {}, 'ok', false],
    ['the volunteer paused now: suspend', { paused: true }, {}, 'paused', true],
    [
      'finish current tasks, then pause: nothing new, nothing suspended',
      { paused: true, pauseMode: 'finish' },
      {},
      'paused',
      false,
    ],
    ['outside the schedule', { schedule: parseSchedule('mon-fri 18-8') }, {}, 'schedule', true],
    ['inside the schedule', { schedule: parseSchedule('mon-fri 8-18') }, {}, 'ok', false],
    [
      'on battery with "not on battery"',
      { notOnBattery: true },
      { onBattery: true },
      'on_battery',
      true,
    ],
    ['on battery, allowed', {}, { onBattery: true }, 'ok', false],
    [
      'no battery is never on battery',
      { notOnBattery: true },
      { onBattery: false, batteryPercent: undefined },
      'ok',
      false,
    ],
    [
      'on battery below the level',
      { minBatteryPercent: 30 },
      { onBattery: true, batteryPercent: 29 },
      'battery_low',
      true,
    ],
    [
      'on mains below the level: it is charging',
      { minBatteryPercent: 30 },
      { batteryPercent: 5 },
      'ok',
      false,
    ],
    [
      'someone uses the machine, only when idle',
      { onlyWhenIdle: true },
      { idleSeconds: 10 },
      'user_active',
      true,
    ],
    [
      'idle for exactly idleSeconds counts as away',
      { onlyWhenIdle: true },
      { idleSeconds: 180 },
      'ok',
      false,
    ],
    ['idle one second short', { onlyWhenIdle: true }, { idleSeconds: 179 }, 'user_active', true],
    ['in use, but "only when idle" is off', {}, { idleSeconds: 0 }, 'ok', false],
    [
      'idle unknown, treated as in use',
      { onlyWhenIdle: true },
      { idleSeconds: undefined },
      'idle_unknown',
      true,
    ],
    [
      'idle unknown, treated as away',
      { onlyWhenIdle: true, whenIdleUnknown: 'away' },
      { idleSeconds: undefined },
      'ok',
      false,
    ],
    ['idle unknown without "only when idle"', {}, { idleSeconds: undefined }, 'ok', false],
    [
      'the owner leaves too little memory free',
      { minFreeMemoryPercent: 10 },
      { ownerFreePercent: 9 },
      'memory_low',
      true,
    ],
    [
      'other programs over the CPU limit',
      { otherCpuLimit: 25 },
      { otherCpuPercent: 26 },
      'cpu_busy',
      true,
    ],
    [
      'other programs at the CPU limit',
      { otherCpuLimit: 25 },
      { otherCpuPercent: 25 },
      'ok',
      false,
    ],
    [
      'other CPU not measured yet',
      { otherCpuLimit: 25 },
      { otherCpuPercent: undefined },
      'ok',
      false,
    ],
    [
      'memory in use past the maximum: nothing new starts',
      { maxMemoryPercent: 80 },
      { memoryUsedPercent: 85 },
      'memory_full',
      false,
    ],
    [
      'the volunteer’s pause is reported before every other rule',
      { paused: true, onlyWhenIdle: true, notOnBattery: true, otherCpuLimit: 10 },
      { idleSeconds: 0, onBattery: true, otherCpuPercent: 90 },
      'paused',
      true,
    ],
    [
      'in use and on battery: on battery first (plugging in is the cheaper fix to name)',
      { onlyWhenIdle: true, notOnBattery: true },
      { idleSeconds: 0, onBattery: true },
      'on_battery',
      true,
    ],
    [
      'schedule before battery',
      { notOnBattery: true, schedule: parseSchedule('sat-sun 0-24') },
      { onBattery: true },
      'schedule',
      true,
    ],
  ])('%s', (_name, settings, observed, reason, suspend) => {
    expect(once(settings, observed)).toEqual<Decision>({
      run: reason === 'ok',
      suspend,
      reason,
      slots: 8,
      cpuTimeLimit: 100,
    });
  });

  it('passes the CPU time limit on and keeps slots from the cap (or the override)', () => {
    expect(once({ cpuTimeLimit: 50, cpuCap: 50 }, {})).toMatchObject({
      cpuTimeLimit: 50,
      slots: 4,
    });
    const headless = decide(base, calm, INITIAL_STATE, 3).decision;
    expect(headless.slots).toBe(3);
  });
});

/** Runs readings through the policy in order, each at its own time, like the controller does. */
function replay(
  settings: Partial<PolicySettings>,
  steps: [atMs: number, observed: Partial<Observations>][],
): [VolunteerReason, boolean][] {
  let state: PolicyState = INITIAL_STATE;
  return steps.map(([at, observed]) => {
    const { decision, state: next } = decide(
      { ...base, ...settings },
      { ...calm, ...observed, now: at },
      state,
    );
    state = next;
    return [decision.reason, decision.suspend];
  });
}

describe('volunteer policy: hysteresis, so nothing flaps', () => {
  it('input suspends at once; computing comes back only after idleSeconds without input', () => {
    expect(
      replay({ onlyWhenIdle: true, idleSeconds: 180 }, [
        [0, { idleSeconds: 600 }],
        [1000, { idleSeconds: 0 }], // a key press
        [2000, { idleSeconds: 1 }],
        [180_000, { idleSeconds: 179 }],
        [181_000, { idleSeconds: 180 }],
      ]),
    ).toEqual([
      ['ok', false],
      ['user_active', true],
      ['user_active', true],
      ['user_active', true],
      ['ok', false],
    ]);
  });

  it('other CPU load: suspended while over the limit and CPU_HOLD_MS after the last busy look', () => {
    expect(
      replay({ otherCpuLimit: 25 }, [
        [0, { otherCpuPercent: 10 }],
        [1000, { otherCpuPercent: 60 }],
        [2000, { otherCpuPercent: 5 }], // a dip does not resume
        [1000 + CPU_HOLD_MS - 1, { otherCpuPercent: 5 }],
        [1000 + CPU_HOLD_MS, { otherCpuPercent: 5 }],
        [1000 + CPU_HOLD_MS + 1000, { otherCpuPercent: 30 }], // busy again: held anew
        [1000 + 2 * CPU_HOLD_MS + 999, { otherCpuPercent: 0 }],
        [1000 + 2 * CPU_HOLD_MS + 1000, { otherCpuPercent: 0 }],
      ]),
    ).toEqual([
      ['ok', false],
      ['cpu_busy', true],
      ['cpu_busy', true],
      ['cpu_busy', true],
      ['ok', false],
      ['cpu_busy', true],
      ['cpu_busy', true],
      ['ok', false],
    ]);
  });

  it(`battery level: below the level suspends; resuming needs ${BATTERY_MARGIN} points more or mains`, () => {
    const level = 30;
    expect(
      replay({ minBatteryPercent: level }, [
        [0, { onBattery: true, batteryPercent: 31 }],
        [1, { onBattery: true, batteryPercent: 29 }],
        [2, { onBattery: true, batteryPercent: 31 }], // hovering around the level: still low
        [3, { onBattery: true, batteryPercent: level + BATTERY_MARGIN - 1 }],
        [4, { onBattery: true, batteryPercent: level + BATTERY_MARGIN }],
        [5, { onBattery: true, batteryPercent: 29 }],
        [6, { onBattery: false, batteryPercent: 29 }], // plugged in
        [7, { onBattery: true, batteryPercent: 31 }], // unplugged above the level
      ]),
    ).toEqual([
      ['ok', false],
      ['battery_low', true],
      ['battery_low', true],
      ['battery_low', true],
      ['ok', false],
      ['battery_low', true],
      ['ok', false],
      ['ok', false],
    ]);
  });

  it(`free memory: below the minimum suspends; resuming needs ${MEMORY_MARGIN} points more`, () => {
    expect(
      replay({ minFreeMemoryPercent: 10 }, [
        [0, { ownerFreePercent: 12 }],
        [1, { ownerFreePercent: 8 }],
        [2, { ownerFreePercent: 11 }],
        [3, { ownerFreePercent: 14.9 }],
        [4, { ownerFreePercent: 15 }],
      ]),
    ).toEqual([
      ['ok', false],
      ['memory_low', true],
      ['memory_low', true],
      ['memory_low', true],
      ['ok', false],
    ]);
  });

  it('remembers a condition even while another rule is the one reported', () => {
    // Busy CPU seen while paused still holds the tasks once the volunteer resumes.
    let state: PolicyState = INITIAL_STATE;
    const step = (paused: boolean, at: number, otherCpuPercent: number) => {
      const r = decide(
        { ...base, otherCpuLimit: 25, paused },
        { ...calm, now: at, otherCpuPercent },
        state,
      );
      state = r.state;
      return r.decision.reason;
    };
    expect(step(true, 0, 90)).toBe('paused');
    expect(step(false, 1000, 0)).toBe('cpu_busy');
  });
});

describe('schedule', () => {
  const week = parseSchedule('mon-fri 18-8, sat 10:30-12');
  it.each<[number, number, boolean]>([
    [1, 17.99, false], // Monday afternoon
    [1, 18, true],
    [1, 23.5, true],
    [2, 7.99, true], // Tuesday early morning: the span wraps within the day, as BOINC's
    [2, 8, false],
    [6, 10.5, true],
    [6, 12, false],
    [0, 12, false], // Sunday is not named: no computing
  ])('weekday %i at %f: %s', (weekday, hour, allowed) => {
    expect(inSchedule(week, weekday, hour)).toBe(allowed);
  });

  it('no schedule, or from = to, is any time', () => {
    expect(inSchedule(null, 0, 3)).toBe(true);
    const allDay: WeekSchedule = [{ from: 0, to: 0 }, null, null, null, null, null, null];
    expect(inSchedule(allDay, 0, 13)).toBe(true);
  });

  it('parses the command-line form and refuses what it cannot read', () => {
    expect(parseSchedule('always')).toBeNull();
    expect(parseSchedule('sat-mon 0-24')).toEqual([
      { from: 0, to: 24 },
      { from: 0, to: 24 },
      null,
      null,
      null,
      null,
      { from: 0, to: 24 },
    ]);
    expect(() => parseSchedule('weekdays 9-5')).toThrow(/not like 'mon-fri 18-8'/);
    expect(() => parseSchedule('mon 9-25')).toThrow(/'25' is not an hour/);
  });
});

describe('memory and hand-back', () => {
  it.each<[number, number, number, boolean]>([
    [50, 8192, 0, true],
    [50, 8192, 2048, true], // 50 + 25 = 75 ≤ 90
    [50, 8192, 4096, false], // 50 + 50 = 100 > 90
    [95, 8192, 0, false],
  ])('%f %% used of %i MB, a task asking %i MB: %s', (usedPercent, totalMb, ram, ok) => {
    expect(mayStart({ maxMemoryPercent: 90 }, { usedPercent, totalMb }, ram)).toBe(ok);
  });

  it('no limit, or no reading, lets every task start', () => {
    expect(mayStart({ maxMemoryPercent: 100 }, { usedPercent: 99, totalMb: 1 }, 10)).toBe(true);
    expect(mayStart({ maxMemoryPercent: 50 }, undefined, 10)).toBe(true);
  });

  it('gives back what was held for at least the limit, and only that', () => {
    const tasks = [{ heldSince: 0 }, { heldSince: 1 }, { heldSince: undefined }];
    expect(overdue(tasks, 600_000, 600)).toEqual([{ heldSince: 0 }]);
    expect(overdue(tasks, 600_001, 600)).toHaveLength(2);
  });

  it.each([
    [8, 100, 8],
    [8, 50, 4],
    [8, 10, 1],
    [6, 40, 2],
    [4, 10, 1],
    [1, 10, 1],
    [64, 75, 48],
  ])('%i cores at %i%% give %i slots', (cores, cpuCap, slots) => {
    expect(slotsFor(cores, cpuCap)).toBe(slots);
  });
});
