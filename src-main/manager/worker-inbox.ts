import { decodeWorkerMessage, errorMessage } from '../../shared/protocol/index.ts';
import type { Logger } from '../common/log.ts';
import type { AccessPolicy } from './access.ts';
import type { Scheduler } from './core/scheduler.ts';
import type { TaskRef, TaskResult } from './core/types.ts';
import type { Outbox } from './outbox.ts';

/** Messages from workers (docs/PROTOCOL.md, worker ↔ manager). */

export interface WorkerInboxOptions {
  scheduler: Scheduler;
  access: AccessPolicy;
  log: Logger;
  outbox: Outbox;
  reply: (to: string, message: Record<string, unknown>) => void;
}

export interface WorkerInbox {
  /** Handle a worker message; false when the body is not one (it is then a user command). */
  handle(from: string, body: string): boolean;
}

const ref = (r: { job_id: number; index: number; attempt: number }): TaskRef => ({
  jobId: r.job_id,
  index: r.index,
  attempt: r.attempt,
});

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
  return {
    handle(from, body) {
      if (!access.isWorker(from)) return false;
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
        const { os, ram, cores, provides, slots } = m;
        const profile = { os, ram, cores, provides, slots };
        outbox.push(scheduler.profile(from, profile, m.running.map(ref), m.update === true));
        return true;
      }
      if (m.type === 'return_tasks') {
        log.info('worker gave tasks back', { from, reason: m.reason, tasks: m.tasks.length });
        outbox.push(scheduler.returned(from, m.tasks.map(ref), m.reason));
        return true;
      }
      const results: TaskResult[] = m.results.map((r) => ({
        ...ref(r),
        exitCode: r.exit_code,
        signal: r.signal,
        durationMs: r.duration_ms,
        stdoutTail: r.stdout_tail,
        stderrTail: r.stderr_tail,
        ...(r.error === undefined ? {} : { error: r.error }),
      }));
      outbox.push(scheduler.results(from, results));
      return true;
    },
  };
}
