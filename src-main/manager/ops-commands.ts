import type { PoolCounters, WorkerView } from '../../shared/api.ts';
import {
  errorReply,
  MAX_POOL_LISTED,
  MAX_WORKER_BODY,
  type PoolCountersWire,
  type PoolReply,
  type PoolRequest,
  type PoolWorker,
  type PurgedReply,
  type PurgeRequest,
  type WhyReply,
  type WhyRequest,
} from '../../shared/protocol/index.ts';
import type { Scheduler } from './core/scheduler.ts';
import type { ManagerApi } from './manager-api.ts';
import type { UserReply } from '../../shared/protocol/index.ts';
import { unknownJob } from './wire.ts';

/**
 * The chat side of the ops view (docs/PROTOCOL.md): `why` for a job's owner or an admin, `pool`
 * and `purge` for admins. The answers come from the same read model as the UI's, so a terminal
 * or an IM client sees what the ops view shows. A `pool` reply holds as many workers as fit one
 * stanza and says where to go on.
 */

export type OpsRequest = WhyRequest | PoolRequest | PurgeRequest;

export interface OpsCommands {
  run(owner: string, admin: boolean, request: OpsRequest): Promise<UserReply>;
}

const utf8 = new TextEncoder();
const bytes = (value: unknown) => utf8.encode(JSON.stringify(value)).length;

export function countersWire(c: PoolCounters): PoolCountersWire {
  return {
    workers: c.workers.total,
    available: c.workers.available,
    busy: c.workers.busy,
    paused: c.workers.paused,
    unresponsive: c.workers.unresponsive,
    reporting: c.workers.reporting,
    slots: c.slots.total,
    slots_used: c.slots.used,
    queued: c.tasks.queued,
    running: c.tasks.running,
    active_jobs: c.jobs.active,
    finished_jobs: c.jobs.finished,
  };
}

function workerWire(w: WorkerView): PoolWorker {
  const out: PoolWorker = {
    jid: w.jid,
    state: w.state,
    provides: w.provides,
    running: w.runningCount,
  };
  if (w.os !== undefined) out.os = w.os;
  if (w.ram !== undefined) out.ram = w.ram;
  if (w.cores !== undefined) out.cores = w.cores;
  if (w.slots !== undefined) out.slots = w.slots;
  return out;
}

export function createOpsCommands(api: ManagerApi, scheduler: Scheduler): OpsCommands {
  function pool(offset: number): PoolReply {
    const page = api.read.workers({ after: String(offset), limit: MAX_POOL_LISTED });
    const reply: PoolReply = {
      type: 'pool',
      counters: countersWire(api.read.counters()),
      workers: [],
      total: page.total,
      offset,
      // Reserved while measuring, so adding it at the end cannot push the body over the limit.
      next_offset: page.total,
    };
    let size = bytes(reply);
    for (const view of page.items) {
      const wire = workerWire(view);
      const cost = bytes(wire) + 1;
      if (size + cost > MAX_WORKER_BODY) break;
      reply.workers.push(wire);
      size += cost;
    }
    const end = offset + reply.workers.length;
    if (end < page.total) reply.next_offset = end;
    else delete reply.next_offset;
    return reply;
  }

  return {
    async run(owner, admin, request) {
      switch (request.type) {
        case 'why': {
          const found = scheduler.jobs(owner, request.job_id, admin);
          const job = found.ok ? found.value[0] : undefined;
          // Someone else's job looks exactly like one that does not exist (ids tell nothing).
          if (!found.ok || job === undefined) return unknownJob(request.job_id);
          const why = api.read.why(job);
          const reply: WhyReply = {
            type: 'why',
            job_id: why.jobId,
            queued: why.queued,
            running: why.running,
            matching: why.matching,
            reasons: why.reasons,
          };
          return reply;
        }
        case 'pool':
          if (!admin)
            return errorReply({
              code: 'forbidden',
              reason: 'pool is for the manager’s admins only',
            });
          return pool(request.offset ?? 0);
        case 'purge': {
          if (!admin)
            return errorReply({
              code: 'forbidden',
              reason: 'purge is for the manager’s admins only',
            });
          const reply: PurgedReply = {
            type: 'purged',
            jobs: await api.purge(Date.parse(request.finished_before)),
          };
          return reply;
        }
      }
    },
  };
}
