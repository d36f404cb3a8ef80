import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  countByKind,
  createRandom,
  createSchedule,
  FAULT_KINDS,
  type FaultKind,
  type ScheduleOptions,
} from '../../chaos/schedule.ts';

const counts: Record<FaultKind, number> = {
  worker_kill: 8,
  worker_stop: 4,
  manager_kill: 3,
  server_restart: 2,
  net_freeze: 3,
  net_cut: 3,
  manager_stop: 2,
  node_kill: 2,
  postgres_restart: 1,
};
const options = (seed: number, over: Partial<ScheduleOptions> = {}): ScheduleOptions => ({
  seed,
  workers: 20,
  counts,
  pingIntervalMs: 2000,
  ...over,
});

describe('createRandom', () => {
  it('is replayable and stays in [0, 1)', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });

  it('differs between seeds', () => {
    expect(createRandom(1)()).not.toBe(createRandom(2)());
  });
});

describe('createSchedule', () => {
  it('is a function of its seed', () => {
    expect(createSchedule(options(42))).toEqual(createSchedule(options(42)));
    expect(createSchedule(options(42))).not.toEqual(createSchedule(options(43)));
  });

  it('holds exactly the requested faults, sorted by progress', () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const events = createSchedule(options(seed));
        expect(countByKind(events)).toEqual(counts);
        for (let i = 1; i < events.length; i += 1)
          expect(events[i]!.at).toBeGreaterThanOrEqual(events[i - 1]!.at);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps restarts early and the end of the job quiet', () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        for (const e of createSchedule(options(seed))) {
          expect(e.at).toBeGreaterThan(0);
          expect(e.at).toBeLessThanOrEqual(0.8);
          if (e.kind === 'manager_kill' || e.kind === 'server_restart')
            expect(e.at).toBeLessThanOrEqual(0.6);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('spreads faults of one kind over their window', () => {
    const kills = createSchedule(options(5)).filter((e) => e.kind === 'worker_kill');
    // Stratified: one kill per eighth of the window [0.03, 0.8].
    kills.forEach((e, i) => {
      expect(e.at).toBeGreaterThanOrEqual(0.03 + (0.77 / 8) * i - 1e-4);
      expect(e.at).toBeLessThanOrEqual(0.03 + (0.77 / 8) * (i + 1) + 1e-4);
    });
  });

  it('targets real slots, and stops workers for longer than the ping interval', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10 }),
        (seed, workers, ping) => {
          for (const e of createSchedule(options(seed, { workers, pingIntervalMs: ping * 1000 }))) {
            expect(Number.isInteger(e.slot) && e.slot >= 0 && e.slot < workers).toBe(true);
            expect(e.holdMs).toBeGreaterThanOrEqual(0);
            if (e.kind === 'worker_stop' || e.kind === 'net_freeze')
              expect(e.holdMs).toBeGreaterThan(ping * 1000);
            if (e.kind !== 'worker_kill') expect(e.reuseIdentity).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reuses a dead worker identity for some replacements, not all', () => {
    const kills = Array.from({ length: 20 }, (_, seed) => createSchedule(options(seed)))
      .flat()
      .filter((e) => e.kind === 'worker_kill');
    const reused = kills.filter((e) => e.reuseIdentity).length;
    expect(reused).toBeGreaterThan(kills.length * 0.25);
    expect(reused).toBeLessThan(kills.length * 0.75);
  });

  it('refuses nonsense', () => {
    expect(() => createSchedule(options(1, { workers: 0 }))).toThrow(RangeError);
    const bad = { ...counts, net_cut: -1 };
    expect(() => createSchedule(options(1, { counts: bad }))).toThrow(RangeError);
    expect(
      createSchedule(
        options(1, {
          counts: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
        }),
      ),
    ).toEqual([]);
  });
});
