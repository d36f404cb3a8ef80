/**
 * What one account can make the manager do (docs/SECURITY.md): the limits, their defaults
 * and why. `kestrel manager` and `kestrel head` take each as a flag or from the config file.
 */

export interface UserLimits {
  /** Jobs not yet ended one user (bare JID) may have; `--max-jobs-per-user`. */
  maxJobsPerUser: number;
  /** Tasks not yet ended (queued or running) over all of one user's jobs; `--max-queued-per-user`. */
  maxQueuedPerUser: number;
}

/**
 * 100 jobs is far more than a person follows at once, and bounds what `status` and `cancel` walk
 * per user. 10,000,000 tasks is one job of the largest size (MAX_QUEUE), so no valid job is ever
 * refused alone, while the queue one user holds stays at about 5 bytes a task: 50 MB.
 */
export const DEFAULT_USER_LIMITS: UserLimits = {
  maxJobsPerUser: 100,
  maxQueuedPerUser: 10_000_000,
};

/** The limits a configuration sets, the defaults for the rest. */
export function userLimitsOf(config: {
  maxJobsPerUser?: number;
  maxQueuedPerUser?: number;
}): UserLimits {
  return {
    maxJobsPerUser: config.maxJobsPerUser ?? DEFAULT_USER_LIMITS.maxJobsPerUser,
    maxQueuedPerUser: config.maxQueuedPerUser ?? DEFAULT_USER_LIMITS.maxQueuedPerUser,
  };
}

/** Why a job was refused, or undefined if it may go ahead. */
export function overLimit(
  limits: UserLimits,
  load: { jobs: number; tasks: number },
  queue: number,
): string | undefined {
  if (load.jobs >= limits.maxJobsPerUser) {
    return (
      `you have ${load.jobs} unfinished jobs and the manager accepts at most ` +
      `${limits.maxJobsPerUser} per user (--max-jobs-per-user): wait for one to finish or cancel one`
    );
  }
  if (load.tasks + queue > limits.maxQueuedPerUser) {
    return (
      `this job's ${queue} tasks would give you ${load.tasks + queue} unfinished tasks and the ` +
      `manager accepts at most ${limits.maxQueuedPerUser} per user (--max-queued-per-user)`
    );
  }
  return undefined;
}
