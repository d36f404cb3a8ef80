import type { Scheduler } from '../core/scheduler.ts';
import type { Action, JobCounts, WorkerProfile } from '../core/types.ts';
import { createThroughput, type Throughput } from './throughput.ts';

/**
 * What the read model needs to know that the scheduler does not keep: which jobs and workers
 * changed since the last push, how many tasks ended per interval, and which workers the manager
 * gave up on for not answering pings (the scheduler forgets them; the ops view shows them as
 * unresponsive until they report again or go offline). Observed by wrapping the scheduler, so
 * every path that changes it (chat, HTTP, workers, timers) is seen without the callers knowing.
 */

export interface Change {
  jobs: ReadonlySet<number>;
  finished: readonly { jobId: number; counts: JobCounts }[];
}

export interface SilentWorker {
  jid: string;
  profile: WorkerProfile | undefined;
  since: number;
}

export interface Activity {
  readonly throughput: Throughput;
  readonly silent: ReadonlyMap<string, SilentWorker>;
  /** Bumped on every event that may change a worker or the counters. */
  readonly poolVersion: number;
  /** Called after each scheduler event with what it changed; returns the function that stops it. */
  onChange(listener: (change: Change) => void): () => void;
}

export function observeScheduler(
  inner: Scheduler,
  now: () => number,
): { scheduler: Scheduler; activity: Activity } {
  const throughput = createThroughput();
  const silent = new Map<string, SilentWorker>();
  const listeners = new Set<(change: Change) => void>();
  let poolVersion = 0;

  function note(actions: readonly Action[], touched: readonly number[] = []): void {
    poolVersion += 1;
    const jobs = new Set(touched);
    const finished: Change['finished'][number][] = [];
    let done = 0;
    let failed = 0;
    for (const a of actions) {
      switch (a.kind) {
        case 'dispatch':
        case 'cancel_tasks':
        case 'ack':
          for (const t of a.tasks) jobs.add(t.jobId);
          break;
        case 'record':
          jobs.add(a.result.jobId);
          if (a.outcome === 'done') done += 1;
          else if (a.outcome === 'failed') failed += 1;
          break;
        case 'requeue':
          jobs.add(a.task.jobId);
          break;
        case 'give_up':
          jobs.add(a.task.jobId);
          failed += 1;
          break;
        case 'cancel_job':
          jobs.add(a.jobId);
          break;
        case 'job_finished':
          jobs.add(a.jobId);
          finished.push({ jobId: a.jobId, counts: a.counts });
          break;
      }
    }
    if (done + failed > 0) throughput.add(now(), done, failed);
    for (const listener of listeners) listener({ jobs, finished });
  }

  const scheduler: Scheduler = {
    ...inner,
    submit(info) {
      const actions = inner.submit(info);
      note(actions, [info.id]);
      return actions;
    },
    presence(jid, available, show) {
      if (!available) silent.delete(jid);
      const actions = inner.presence(jid, available, show);
      note(actions);
      return actions;
    },
    profile(jid, profile, running) {
      silent.delete(jid);
      const actions = inner.profile(jid, profile, running);
      note(actions);
      return actions;
    },
    results(jid, results) {
      const actions = inner.results(jid, results);
      note(actions);
      return actions;
    },
    returned(jid, tasks, reason) {
      const actions = inner.returned(jid, tasks, reason);
      note(actions);
      return actions;
    },
    unresponsive(...jids) {
      const known = new Map(inner.workers().map((w) => [w.jid, w.profile]));
      for (const jid of jids) silent.set(jid, { jid, profile: known.get(jid), since: now() });
      const actions = inner.unresponsive(...jids);
      note(actions);
      return actions;
    },
    cancel(requester, jobId, admin) {
      const found = inner.cancel(requester, jobId, admin);
      if (found.ok) note(found.value.actions, found.value.jobIds);
      return found;
    },
    tick() {
      const actions = inner.tick();
      if (actions.length > 0) note(actions);
      return actions;
    },
    finishRestore() {
      const actions = inner.finishRestore();
      note(actions);
      return actions;
    },
  };

  const activity: Activity = {
    throughput,
    silent,
    get poolVersion() {
      return poolVersion;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { scheduler, activity };
}
