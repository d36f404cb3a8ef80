import type { ApiHandlers } from '../../shared/api.ts';
import { jobInputSchema } from '../../shared/api-schemas.ts';
import { ApiFailure } from '../api/errors.ts';
import { bareJid } from '../common/jid.ts';
import type { AccessPolicy } from './access.ts';
import type { JobTasks } from './core/job-tasks.ts';
import type { Lookup, Scheduler } from './core/scheduler.ts';
import { DEFAULT_USER_LIMITS, overLimit, type UserLimits } from './limits.ts';
import type { Outbox } from './outbox.ts';
import type { ChangeFeed } from './read/change-feed.ts';
import type { ReadModel } from './read/read-model.ts';
import type { ManagerStore } from './store.ts';

/**
 * The manager's side of the renderer API (shared/api.ts, areas `jobs` and `pool`), acting as one
 * caller with that caller's rights: people see and cancel their own jobs, admins every job, and
 * only admins see the pool or purge. Arguments arrive checked (src-main/api/dispatch.ts).
 */

export interface Caller {
  /** The JID the calls act as (a job's owner and where its job_finished goes). */
  jid: string;
  admin: boolean;
}

export interface ManagerApi {
  readonly read: ReadModel;
  readonly feed: ChangeFeed;
  handlers(caller: Caller): ApiHandlers;
  /** Drops finished jobs that ended before `before` from memory and the store; returns how many. */
  purge(before: number): Promise<number>;
}

export interface ManagerApiOptions {
  scheduler: Scheduler;
  store: ManagerStore;
  access: AccessPolicy;
  outbox: Outbox;
  now: () => number;
  read: ReadModel;
  feed: ChangeFeed;
  /** The same per-user limits as jobs submitted over chat (default DEFAULT_USER_LIMITS). */
  limits?: UserLimits;
}

/** Someone else's job looks exactly like one that does not exist, as over chat (wire.ts). */
function found<T>(lookup: Lookup<T>, jobId: number | undefined): T {
  if (lookup.ok) return lookup.value;
  throw new ApiFailure('unknown_job', `no job ${String(jobId)} of yours`);
}

export function createManagerApi(options: ManagerApiOptions): ManagerApi {
  const { scheduler, store, access, outbox, now, read, feed } = options;
  const limits = options.limits ?? DEFAULT_USER_LIMITS;

  function purge(before: number): Promise<number> {
    return store.deleteJobs(scheduler.forgetFinished(before));
  }

  function handlers(caller: Caller): ApiHandlers {
    const owner = bareJid(caller.jid);
    const { admin } = caller;
    const one = (jobId: number): JobTasks => {
      const [job] = found(scheduler.jobs(owner, jobId, admin), jobId);
      if (job === undefined) throw new ApiFailure('unknown_job', `no job ${jobId} of yours`);
      return job;
    };
    const adminOnly = (what: string) => {
      if (!admin) throw new ApiFailure('forbidden', `${what} is for the manager's admins only`);
    };
    return {
      'jobs:submit': async (input) => {
        if (!access.canSubmit(caller.jid))
          throw new ApiFailure('forbidden', `${owner} may not submit jobs to this manager`);
        const spec = jobInputSchema.parse(input);
        const refused = overLimit(limits, scheduler.load(owner), spec.queue);
        if (refused !== undefined) throw new ApiFailure('job_rejected', refused);
        const info = await store.insertJob(owner, caller.jid, spec, now());
        void outbox.push(scheduler.submit(info));
        return { jobId: info.id };
      },
      'jobs:list': async (page) => read.jobs((job) => admin || job.info.owner === owner, page),
      'jobs:get': async ({ jobId }) => read.detail(one(jobId)),
      'jobs:why': async ({ jobId }) => read.why(one(jobId)),
      'jobs:cancel': async ({ jobId }) => {
        const { jobIds, tasks, actions } = found(scheduler.cancel(owner, jobId, admin), jobId);
        if (!(await outbox.push(actions))) throw new Error('the cancel was not stored');
        return { jobIds, tasks };
      },
      'jobs:purge': async ({ finishedBefore }) => {
        adminOnly('purging jobs');
        return { jobs: await purge(finishedBefore) };
      },
      'pool:summary': async () => {
        adminOnly('the pool');
        return read.summary();
      },
      'pool:workers': async (page) => {
        adminOnly('the pool');
        return read.workers(page);
      },
    };
  }

  return { read, feed, handlers, purge };
}
