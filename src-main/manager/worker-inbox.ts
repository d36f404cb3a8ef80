import {
  decodeWorkerMessage,
  errorMessage,
  type ManagerMessage,
} from '../../shared/protocol/index.ts';
import type { Logger } from '../common/log.ts';
import type { AccessPolicy } from './access.ts';
import type { Scheduler } from './core/scheduler.ts';
import type { Outbox } from './outbox.ts';
import { fromWireRef, fromWireResult } from './wire.ts';
import { createWorkerRate, DEFAULT_WORKER_RATE, type WorkerRateLimits } from './worker-rate.ts';

/** Messages from workers (docs/PROTOCOL.md, worker ↔ manager). */

export interface WorkerInboxOptions {
  scheduler: Scheduler;
  access: AccessPolicy;
  log: Logger;
  outbox: Outbox;
  reply: (to: string, message: ManagerMessage) => void;
  now: () => number;
  /** Default DEFAULT_WORKER_RATE. */
  rate?: WorkerRateLimits;
}

export interface WorkerInbox {
  /** Handle a worker message; false when the body is not one (it is then a user command). */
  handle(from: string, body: string): boolean;
  /** Ask workers whose messages were dropped over the rate limit to resend them (call often). */
  resync(): void;
}

const WORKER_TYPES = new Set<unknown>(['profile', 'task_results', 'return_tasks']);

/** The `type` of a strict-JSON body (workers send nothing else), or undefined. */
function typeOf(body: string): unknown {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null
      ? (value as { type?: unknown }).type
      : undefined;
  } catch {
    return undefined;
  }
}

export function createWorkerInbox(options: WorkerInboxOptions): WorkerInbox {
  const { scheduler, access, log, outbox, reply } = options;
  const rate = createWorkerRate(options.rate ?? DEFAULT_WORKER_RATE, options.now, log);
  return {
    handle(from, body) {
      if (!access.isWorker(from)) return false;
      // Before parsing: a dropped message costs a map lookup. Returning true keeps it from
      // reaching the user commands, whose replies would cost as much again.
      if (!rate.admit(from, body.length)) return true;
      const decoded = decodeWorkerMessage(body);
      if (!decoded.ok) {
        // Only a message that claims to be worker traffic is answered as such; anything else from
        // the worker domain may be a person's command (people and workers can share a domain).
        if (!WORKER_TYPES.has(typeOf(body))) return false;
        log.warn('bad worker message', { from, error: decoded.error });
        reply(from, errorMessage(decoded.error));
        return true;
      }
      const m = decoded.message;
      if (m.type === 'error') {
        // Never answered: two peers must not bounce errors at each other.
        log.warn('worker reported an error', { from, code: m.code, reason: m.reason });
        return true;
      }
      if (m.type === 'profile') {
        const { os, ram, cores, provides, slots, prefetch } = m;
        const profile = { os, ram, cores, provides, slots, prefetch };
        void outbox.push(
          scheduler.profile(from, profile, m.running.map(fromWireRef), m.update === true),
        );
        return true;
      }
      if (m.type === 'return_tasks') {
        log.info('worker gave tasks back', { from, reason: m.reason, tasks: m.tasks.length });
        void outbox.push(scheduler.returned(from, m.tasks.map(fromWireRef), m.reason));
        return true;
      }
      void outbox.push(scheduler.results(from, m.results.map(fromWireResult)));
      return true;
    },
    resync() {
      for (const jid of rate.resyncDue()) {
        scheduler.awaitProfile(jid);
        reply(jid, { type: 'resync', v: 1 });
      }
    },
  };
}
