import {
  decodeUserRequest,
  errorReply,
  HELP_TEXT,
  type UserRequest,
} from '../../shared/protocol/index.ts';
import { MAX_FAILURES_LISTED } from '../../shared/protocol/limits.ts';
import { bareJid } from '../common/jid.ts';
import type { AccessPolicy } from './access.ts';
import type { Scheduler } from './core/scheduler.ts';
import type { OpsCommands } from './ops-commands.ts';
import type { Outbox } from './outbox.ts';
import { createRateLimiter } from './rate-limit.ts';
import { jobStatusView } from './status-view.ts';
import type { ManagerStore } from './store.ts';

/** The seed-001 commands people send from the CLI or any IM client: job, status, cancel (and help). */

export interface UserCommandsOptions {
  scheduler: Scheduler;
  store: ManagerStore;
  access: AccessPolicy;
  outbox: Outbox;
  now: () => number;
  reply: (to: string, message: Record<string, unknown>) => void;
  /** why, pool and purge (ops-commands.ts). */
  ops: OpsCommands;
  /** Requests one JID may send at once, and refilled per second (default 30 and 10). */
  rateLimit?: { burst: number; perSecond: number };
}

export interface UserCommands {
  handle(from: string, body: string): void;
}

export function createUserCommands(options: UserCommandsOptions): UserCommands {
  const { scheduler, store, access, outbox, now, reply, ops } = options;
  const rate = options.rateLimit ?? { burst: 30, perSecond: 10 };
  const limiter = createRateLimiter({ ...rate, now });

  function run(from: string, request: UserRequest): Record<string, unknown> {
    const owner = bareJid(from);
    const admin = access.isAdmin(from);
    switch (request.type) {
      case 'help':
        return { type: 'help', text: HELP_TEXT };
      case 'job': {
        const { type, ...spec } = request;
        const info = store.insertJob(owner, from, spec, now());
        outbox.push(scheduler.submit(info));
        return { type: 'job_started', job_id: info.id };
      }
      case 'status': {
        const found = scheduler.jobs(owner, request.job_id, admin);
        if (!found.ok) return refusal(found.code, request.job_id);
        const single = request.job_id !== undefined;
        const t = now();
        return {
          type: 'status',
          jobs: found.value.map((job) =>
            jobStatusView(
              job,
              t,
              single ? store.failedTasks(job.info.id, MAX_FAILURES_LISTED) : undefined,
            ),
          ),
        };
      }
      case 'cancel': {
        const found = scheduler.cancel(owner, request.job_id, admin);
        if (!found.ok) return refusal(found.code, request.job_id);
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
        reply(from, errorReply({ code: 'rate_limited', reason }));
        return;
      }
      const decoded = decodeUserRequest(body);
      if (!decoded.ok) {
        reply(from, errorReply(decoded.error));
        return;
      }
      if (!access.canSubmit(from)) {
        const reason = `${bareJid(from)} may not use this manager; ask its operator to allow your JID`;
        reply(
          from,
          decoded.message.type === 'job'
            ? { type: 'job_rejected', reason }
            : errorReply({ code: 'forbidden', reason }),
        );
        return;
      }
      reply(from, run(from, decoded.message));
    },
  };
}

function refusal(
  code: 'unknown_job' | 'forbidden',
  jobId: number | undefined,
): Record<string, unknown> {
  const reason =
    code === 'unknown_job' ? `no job ${String(jobId)}` : `job ${String(jobId)} is not yours`;
  return errorReply({ code, reason });
}
