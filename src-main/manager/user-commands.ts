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
  handle(from: string, body: string): void;
}

export function createUserCommands(options: UserCommandsOptions): UserCommands {
  const { scheduler, store, access, outbox, now, reply, ops } = options;
  const rate = options.rateLimit ?? { burst: 30, perSecond: 10 };
  const limiter = createRateLimiter({ ...rate, now });
  const limits = options.limits ?? DEFAULT_USER_LIMITS;

  function run(from: string, request: UserRequest): UserReply {
    const owner = bareJid(from);
    const admin = access.isAdmin(from);
    switch (request.type) {
      case 'help':
        return { type: 'help', text: HELP_TEXT };
      case 'job': {
        const { type, ...spec } = request;
        const refused = overLimit(limits, scheduler.load(owner), spec.queue);
        if (refused !== undefined) return { type: 'job_rejected', reason: refused };
        const info = store.insertJob(owner, from, spec, now());
        outbox.push(scheduler.submit(info));
        return { type: 'job_started', job_id: info.id };
      }
      case 'status': {
        const found = scheduler.jobs(owner, request.job_id, admin);
        if (!found.ok) return unknownJob(request.job_id);
        const [job] = found.value;
        if (request.job_id === undefined || !job) return listReply(found.value, now());
        return oneJobReply(job, now(), store.failedTasks(job.info.id, MAX_FAILURES_LISTED));
      }
      case 'cancel': {
        const found = scheduler.cancel(owner, request.job_id, admin);
        if (!found.ok) return unknownJob(request.job_id);
        outbox.push(found.value.actions);
        return { type: 'cancelled', job_ids: found.value.jobIds, tasks: found.value.tasks };
      }
      case 'why':
      case 'pool':
      case 'purge':
        return ops.run(owner, admin, request);
    }
  }

  return {
    handle(from, body) {
      if (!limiter.take(bareJid(from))) {
        const reason = `too many requests: at most ${rate.burst} at once and ${rate.perSecond} a second; try again shortly`;
        reply(from, errorReply({ code: 'rate_limited', reason }), mayBePlainText(body));
        return;
      }
      const decoded = decodeUserRequest(body);
      const asText = typedAsText(body, decoded);
      const answer = (message: UserReply) => reply(from, message, asText);
      if (!decoded.ok) {
        answer(errorReply(decoded.error));
        return;
      }
      if (!access.canSubmit(from)) {
        const reason = `${bareJid(from)} may not use this manager; ask its operator to allow your JID`;
        answer(
          decoded.message.type === 'job'
            ? { type: 'job_rejected', reason }
            : errorReply({ code: 'forbidden', reason }),
        );
        return;
      }
      answer(run(from, decoded.message));
    },
  };
}
