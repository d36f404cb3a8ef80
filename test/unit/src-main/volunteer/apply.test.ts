// Applying a decision to a login, with a fake worker service: presence only when it changes,
// a profile update for new slots, and tasks given back once: when held past the limit, or when
// their submitter was blocked while they ran.
import { describe, expect, it } from 'vitest';
import type { GovernedTask, Governor } from '../../../../src-main/volunteer/governor.ts';
import { createApplier } from '../../../../src-main/volunteer/apply.ts';
import type { Decision } from '../../../../src-main/volunteer/policy.ts';
import { DEFAULT_SETTINGS } from '../../../../src-main/volunteer/settings.ts';
import type { WorkerService } from '../../../../src-main/worker/service.ts';
import type { Profile } from '../../../../src-main/worker/profile.ts';
import { silentLogger } from '../../../../src-main/common/log.ts';

const profile: Profile = { os: 'Linux', ram: 1024, cores: 4, provides: [], slots: 2 };
const decision = (over: Partial<Decision> = {}): Decision => ({
  run: true,
  suspend: false,
  reason: 'ok',
  slots: 2,
  cpuTimeLimit: 100,
  ...over,
});

function fakes(tasks: GovernedTask[]) {
  const calls: string[] = [];
  const worker = {
    pause: async (show: string, status: string) => void calls.push(`presence ${show} ${status}`),
    resume: async () => void calls.push('presence available'),
    updateProfile: (p: Profile) => void calls.push(`profile ${p.slots}`),
    handBack: (refs: { index: number }[], reason: string) =>
      void calls.push(`back ${reason} ${refs.map((r) => r.index).join(',')}`),
  } as unknown as WorkerService;
  const governor = { tasks: () => tasks } as unknown as Governor;
  return { calls, worker, governor };
}

const task = (index: number, owner: string, heldSince?: number): GovernedTask => ({
  key: `1:${index}:1`,
  spec: { jobId: 1, index, attempt: 1, command: 'x', owner },
  arrivedAt: 0,
  startedAt: 0,
  heldSince,
  note: undefined,
  usage: () => undefined,
});

describe('applying a decision', () => {
  it('sends presence only when it changes, and a profile update for new slots', async () => {
    const { calls, worker, governor } = fakes([]);
    const applier = createApplier({ worker, governor, log: silentLogger, now: () => 0 });
    let offered = await applier.apply(decision(), DEFAULT_SETTINGS, profile);
    offered = await applier.apply(decision(), DEFAULT_SETTINGS, offered);
    offered = await applier.apply(
      decision({ run: false, suspend: true, reason: 'on_battery', slots: 3 }),
      DEFAULT_SETTINGS,
      offered,
    );
    expect(offered.slots).toBe(3);
    expect(calls).toEqual(['presence available', 'presence xa paused: on battery', 'profile 3']);
  });

  it('gives back a task held past the limit, and one whose submitter was blocked, once each', async () => {
    const held = task(0, 'alice@pool', 0);
    const blocked = task(1, 'mallory@pool');
    const { calls, worker, governor } = fakes([held, blocked, task(2, 'bob@pool', 500_000)]);
    const applier = createApplier({ worker, governor, log: silentLogger, now: () => 600_000 });
    const settings = { ...DEFAULT_SETTINGS, blockedSubmitters: ['mallory@pool'] };
    await applier.apply(
      decision({ run: false, suspend: true, reason: 'user_active' }),
      settings,
      profile,
    );
    await applier.apply(
      decision({ run: false, suspend: true, reason: 'user_active' }),
      settings,
      profile,
    );
    expect(calls.filter((c) => c.startsWith('back'))).toEqual([
      'back blocked 1',
      'back suspended 0',
    ]);
    expect(held.note).toBe('given back: held more than 10 min (user_active)');
    expect(blocked.note).toBe('given back: mallory@pool is blocked');
  });
});
