// The policy's decision, applied to one login of the worker besides its tasks (the governor
// does those): presence first, so the manager sees the worker away before anything is given
// back; a profile update when the slots change; and the tasks held past the owner's limit, or
// of a job or submitter the owner has blocked since they came, given back to the pool.
import type { VolunteerSettings } from '../../shared/api.ts';
import type { Logger } from '../common/log.ts';
import { offeringSlots, type Profile } from '../worker/profile.ts';
import type { WorkerService } from '../worker/service.ts';
import type { GovernedTask, Governor } from './governor.ts';
import { overdue, refusal, type Decision } from './policy.ts';
import { presenceFor } from './presence.ts';

export interface Applier {
  /** Applies the decision; resolves with the profile now offered. */
  apply(decision: Decision, settings: VolunteerSettings, profile: Profile): Promise<Profile>;
}

export function createApplier(options: {
  worker: WorkerService;
  governor: Governor | undefined;
  log: Logger;
  now: () => number;
}): Applier {
  const { worker, governor, log, now } = options;
  let presence = '';
  const giveBack = (tasks: readonly GovernedTask[], reason: 'blocked' | 'suspended') => {
    if (tasks.length === 0) return;
    const refs = tasks.map(({ spec }) => ({
      job_id: spec.jobId,
      index: spec.index,
      attempt: spec.attempt,
    }));
    worker.handBack(refs, reason);
  };
  return {
    async apply(decision, settings, profile) {
      const wanted = presenceFor(decision);
      const key = wanted === undefined ? 'available' : `${wanted.show}: ${wanted.status}`;
      if (key !== presence) {
        presence = key;
        if (wanted === undefined) await worker.resume();
        else await worker.pause(wanted.show, wanted.status);
      }
      let offered = profile;
      if (decision.slots !== profile.slots) {
        offered = offeringSlots(profile, decision.slots);
        log.info('offering a new number of slots', { slots: decision.slots });
        worker.updateProfile(offered);
      }
      const tasks = governor?.tasks() ?? [];
      const blocked = tasks.filter((t) => t.note === undefined && refusal(settings, t.spec));
      for (const t of blocked) t.note = `given back: ${refusal(settings, t.spec)}`;
      giveBack(blocked, 'blocked');
      const late = overdue(tasks, now(), settings.suspendLimitSeconds).filter(
        (t) => t.note === undefined,
      );
      const limit = settings.suspendLimitSeconds;
      const held = limit < 120 ? `${limit} s` : `${Math.round(limit / 60)} min`;
      for (const t of late) t.note = `given back: held more than ${held} (${decision.reason})`;
      giveBack(late, 'suspended');
      return offered;
    },
  };
}
