import {
  decodeUserRequest,
  errorReply,
  HELP_TEXT,
  mayBePlainText,
  typedAsText,
  type UserReply,
  type UserRequest,
} from '../../shared/protocol/index.ts';
import { MAX_FAILURES_LISTED } from '../../shared/protocol/limits.ts';
import { bareJid } from '../common/jid.ts';
import type { AccessPolicy } from './access.ts';
import type { Scheduler } from './core/scheduler.ts';
import type { OpsCommands } from './ops-commands.ts';
import type { Outbox } from './outbox.ts';
import { DEFAULT_USER_LIMITS, overLimit, type UserLimits } from './limits.ts';
import { createRateLimiter } from './rate-limit.ts';
import { listReply, oneJobReply } from './status-view.ts';
import type { ManagerStore } from './store.ts';
import { unknownJob } from './wire.ts';

/** The seed-001 commands people send from the CLI or any IM client: job, status, cancel (and help). */

export interface UserCommandsOptions {
  scheduler: Scheduler;
  store: ManagerStore;
  access: AccessPolicy;
  outbox: Outbox;
  now: () => number;
  /** `asText`: the request was typed as plain text; answer the same way (shared/protocol/plain.ts). */
  reply: (to: string, message: UserReply, asText: boolean) => void;
  /** why, pool and purge (ops-commands.ts). */
  ops: OpsCommands;
  /** Requests one JID may send at once, and refilled per second (default 30 and 10). */
  rateLimit?: { burst: number; perSecond: number };
  /** Jobs and tasks one user may have open (default DEFAULT_USER_LIMITS). */
  limits?: UserLimits;
}

export interface UserCommands {
  /**
   * Answers one request. Requests from one JID are answered in the order they came, even when the
   * store takes its time (a `status` right after a `job` lists that job); the promise settles
   * once the reply is handed on, and rejects only when the store failed.
   */
  handle(from: string, body: string): Promise<void>;
}

export function createUserCommands(options: UserCommandsOptions): UserCommands {
  const { scheduler, store, access, outbox, now, reply, ops } = options;
  const rate = options.rateLimit ?? { burst: 30, perSecond: 10 };
  const limiter = createRateLimiter({ ...rate, now });
  const limits = options.limits ?? DEFAULT_USER_LIMITS;

  async function run(from: string, request: UserRequest): Promise<UserReply> {
    const owner = bareJid(from);
    const admin = access.isAdmin(from);
    switch (request.type) {
      case 'help':
        return { type: 'help', text: HELP_TEXT };
      case 'job': {
        const { type, ...spec } = request;
        const refused = overLimit(limits, scheduler.load(owner), spec.queue);
        if (refused !== undefined) return { type: 'job_rejected', reason: refused };
        const info = await store.insertJob(owner, from, spec, now());
        void outbox.push(scheduler.submit(info));
        return { type: 'job_started', job_id: info.id };
      }
      case 'status': {
        const found = scheduler.jobs(owner, request.job_id, admin);
        if (!found.ok) return unknownJob(request.job_id);
        const [job] = found.value;
        if (request.job_id === undefined || !job) return listReply(found.value, now());
        const failures = await store.failedTasks(job.info.id, MAX_FAILURES_LISTED);
        return oneJobReply(job, now(), failures);
      }
      case 'cancel': {
        const found = scheduler.cancel(owner, request.job_id, admin);
        if (!found.ok) return unknownJob(request.job_id);
        // Confirmed once stored: a manager deposed meanwhile must not say it cancelled.
        if (!(await outbox.push(found.value.actions))) throw new Error('the cancel was not stored');
        return { type: 'cancelled', job_ids: found.value.jobIds, tasks: found.value.tasks };
      }
      case 'why':
      case 'pool':
      case 'purge':
        return await ops.run(owner, admin, request);
    }
  }

  /** The last request of each person (bare JID) still being answered: the next waits for it. */
  const inFlight = new Map<string, Promise<void>>();

  function answerOne(from: string, body: string): Promise<void> {
    const decoded = decodeUserRequest(body);
    const asText = typedAsText(body, decoded);
    const answer = (message: UserReply) => reply(from, message, asText);
    if (!decoded.ok) {
      answer(errorReply(decoded.error));
      return Promise.resolve();
    }
    if (!access.canSubmit(from)) {
      const reason = `${bareJid(from)} may not use this manager; ask its operator to allow your JID`;
      answer(
        decoded.message.type === 'job'
          ? { type: 'job_rejected', reason }
          : errorReply({ code: 'forbidden', reason }),
      );
      return Promise.resolve();
    }
    return run(from, decoded.message).then(answer);
  }

  return {
    handle(from, body) {
      // Counted as it arrives, so a flood is refused at once instead of queueing behind the store.
      if (!limiter.take(bareJid(from))) {
        const reason = `too many requests: at most ${rate.burst} at once and ${rate.perSecond} a second; try again shortly`;
        reply(from, errorReply({ code: 'rate_limited', reason }), mayBePlainText(body));
        return Promise.resolve();
      }
      // One chain per person: their second `job` is checked against the limits with the first.
      const key = bareJid(from);
      const start = () => {
        try {
          return answerOne(from, body);
        } catch (error) {
          return Promise.reject(error as Error);
        }
      };
      const before = inFlight.get(key);
      const mine = before === undefined ? start() : before.then(start, start);
      inFlight.set(key, mine);
      const done = () => {
        if (inFlight.get(key) === mine) inFlight.delete(key);
      };
      mine.then(done, done);
      return mine;
    },
  };
}
