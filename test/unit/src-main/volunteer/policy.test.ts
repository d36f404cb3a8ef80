import { describe, expect, it } from 'vitest';
import {
  decide,
  slotsFor,
  type Observations,
  type PolicySettings,
} from '../../../../src-main/volunteer/policy.ts';

const base: PolicySettings = {
  paused: false,
  onlyWhenIdle: false,
  idleSeconds: 300,
  notOnBattery: false,
  cpuCap: 100,
};
const away: Observations = { idleFor: 3600, onBattery: false, cores: 8 };

describe('volunteer policy', () => {
  it.each([
    ['runs by default', {}, {}, { run: true, reason: 'ok' }],
    ['the volunteer paused', { paused: true }, {}, { run: false, reason: 'paused' }],
    [
      'someone uses the machine, only when idle',
      { onlyWhenIdle: true },
      { idleFor: 10 },
      { run: false, reason: 'user_active' },
    ],
    [
      'idle for exactly idleSeconds counts as away',
      { onlyWhenIdle: true },
      { idleFor: 300 },
      { run: true, reason: 'ok' },
    ],
    [
      'idle one second short of idleSeconds',
      { onlyWhenIdle: true },
      { idleFor: 299 },
      { run: false, reason: 'user_active' },
    ],
    ['in use, but "only when idle" is off', {}, { idleFor: 0 }, { run: true, reason: 'ok' }],
    [
      'on battery with "not on battery"',
      { notOnBattery: true },
      { onBattery: true },
      { run: false, reason: 'on_battery' },
    ],
    ['on battery, allowed', {}, { onBattery: true }, { run: true, reason: 'ok' }],
    [
      'the volunteer’s pause is reported before the other rules',
      { paused: true, onlyWhenIdle: true, notOnBattery: true },
      { idleFor: 0, onBattery: true },
      { run: false, reason: 'paused' },
    ],
    [
      'in use and on battery: in use is reported first',
      { onlyWhenIdle: true, notOnBattery: true },
      { idleFor: 0, onBattery: true },
      { run: false, reason: 'user_active' },
    ],
    [
      'away and on battery: on battery',
      { onlyWhenIdle: true, notOnBattery: true },
      { onBattery: true },
      { run: false, reason: 'on_battery' },
    ],
  ] as const)('%s', (_name, settings, observed, expected) => {
    const decision = decide({ ...base, ...settings }, { ...away, ...observed });
    expect(decision).toEqual({ ...expected, slots: 8 });
  });

  it.each([
    [8, 100, 8],
    [8, 50, 4],
    [8, 10, 1],
    [6, 50, 3],
    [6, 40, 2], // 2.4 rounds down
    [4, 10, 1], // 0.4 would be no task at all: at least one runs
    [1, 10, 1],
    [1, 100, 1],
    [64, 75, 48],
  ])('%i cores at %i%% give %i slots', (cores, cpuCap, slots) => {
    expect(slotsFor(cores, cpuCap)).toBe(slots);
    expect(decide({ ...base, cpuCap }, { ...away, cores }).slots).toBe(slots);
  });

  it('reports the slots whether or not it runs', () => {
    const decision = decide({ ...base, paused: true, cpuCap: 50 }, { ...away, cores: 4 });
    expect(decision).toEqual({ run: false, reason: 'paused', slots: 2 });
  });
});
