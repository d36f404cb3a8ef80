import { createJobTasks, type JobTasks } from './job-tasks.ts';
import { fits, provides, slotOnly } from './matching.ts';
import type {
  Action,
  JobCounts,
  JobInfo,
  PresenceShow,
  TaskDispatch,
  TaskRef,
  TaskResult,
  TaskState,
  ReturnReason,
  WorkerProfile,
} from './types.ts';
import {
  aheadRoom,
  createWorkerState,
  holdAhead,
  indexOfKey,
  isEligible,
  jobOfKey,
  occupy,
  release,
  resetCapacity,
  taskKey,
  type WorkerState,
} from './workers.ts';

/**
 * The scheduling core: pure and synchronous. Events go in, actions come out; the clock is injected.
 * The service around it persists the actions' store effects, then sends their messages.
 */

export interface SchedulerOptions {
  now: () => number;
  /** A task lost this many times (its worker vanished while running it) fails for good. */
  maxLost?: number;
  /** How long a restarted manager waits for a worker that held tasks before requeueing them. */
  restoreGraceMs?: number;
}

/** Someone else's job looks exactly like one that does not exist: ids must not tell which exist. */
export type Lookup<T> = { ok: true; value: T } | { ok: false; code: 'unknown_job' };

/** What one owner has open: jobs not ended, and their tasks not ended (queued or running). */
export interface OwnerLoad {
  jobs: number;
  tasks: number;
}

export interface Scheduler {
  submit(info: JobInfo): Action[];
  presence(jid: string, available: boolean, show?: PresenceShow): Action[];
  /**
   * A worker's profile. After a (re)connect it reconciles `running` with what the manager holds;
   * an `update` (sent while connected, docs/PROTOCOL.md) only changes what the worker offers.
   */
  profile(jid: string, profile: WorkerProfile, running: TaskRef[], update?: boolean): Action[];
  /**
   * A worker gave tasks back unfinished: they go back to the queue without counting as lost.
   * `blocked`: its owner will not run that job, so none of the job's tasks goes to it again.
   */
  returned(jid: string, tasks: TaskRef[], reason: ReturnReason): Action[];
  results(jid: string, results: TaskResult[]): Action[];
  /**
   * Workers stopped answering pings: treat them as gone until each sends a profile again. All are
   * dropped before any of their tasks is handed out again, so none goes to another of them.
   */
  unresponsive(...jids: string[]): Action[];
  cancel(
    requester: string,
    jobId: number | undefined,
    admin: boolean,
  ): Lookup<{ jobIds: number[]; tasks: number; actions: Action[] }>;
  /** One job, or all the requester's jobs oldest first (for status). */
  jobs(requester: string, jobId: number | undefined, admin: boolean): Lookup<readonly JobTasks[]>;
  /** For the per-user limits: costs the owner's open jobs, not their tasks. */
  load(owner: string): OwnerLoad;
  /**
   * The worker was asked to resync: hand it nothing until its profile arrives. Tasks dispatched
   * after it sent that profile would be missing from it, and requeued as lost.
   */
  awaitProfile(jid: string): void;
  tick(): Action[];
  workers(): readonly WorkerState[];
  restoreJob(
    info: JobInfo,
    ended?: { counts: JobCounts; cancelledAt?: number; finishedAt: number },
  ): void;
  restoreTask(
    ref: TaskRef,
    state: TaskState,
    failures: number,
    lost: number,
    worker?: string,
  ): void;
  /** Start the grace period for workers that held tasks when the manager stopped. */
  finishRestore(): Action[];
  /** The manager lost its connection: every worker must report again within the grace period. */
  expectReports(): void;
  /** One job, whoever owns it (the read model checks access itself). */
  job(jobId: number): JobTasks | undefined;
  /** Every job held in memory, in submission order. */
  allJobs(): IterableIterator<JobTasks>;
  /** Drops ended jobs that finished before `before` from memory; returns their ids (to purge from the store). */
  forgetFinished(before: number): number[];
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const now = options.now;
  const maxLost = options.maxLost ?? 5;
  const graceMs = options.restoreGraceMs ?? 15_000;
  const jobs = new Map<number, JobTasks>();
  /** Jobs with tasks not yet ended, in submission order (FIFO matching). */
  let active: JobTasks[] = [];
  const workers = new Map<string, WorkerState>();
  /** Which worker holds each running task. */
  const holder = new Map<number, string>();
  /** Workers a task was taken from, whose late results are still welcome. */
  const formerHolders = new Map<number, Set<string>>();
  /** Every job of each owner, oldest first, and those not ended: status and cancel cost these. */
  const byOwner = new Map<string, JobTasks[]>();
  const openByOwner = new Map<string, Set<JobTasks>>();

  function track(job: JobTasks, open: boolean): void {
    const owner = job.info.owner;
    let all = byOwner.get(owner);
    if (!all) byOwner.set(owner, (all = []));
    all.push(job);
    if (!open) return;
    let set = openByOwner.get(owner);
    if (!set) openByOwner.set(owner, (set = new Set()));
    set.add(job);
  }

  function untrackOpen(job: JobTasks): void {
    const set = openByOwner.get(job.info.owner);
    set?.delete(job);
    if (set?.size === 0) openByOwner.delete(job.info.owner);
  }

  const specOf = (jobId: number) => jobs.get(jobId)?.info.spec;

  /** Each job's count of tasks held ahead follows its workers' (see JobTasks.ahead). */
  function countAhead(w: WorkerState, by: 1 | -1, keys: Iterable<number> = w.ahead): void {
    for (const key of keys) {
      const job = jobs.get(jobOfKey(key));
      if (job) job.ahead += by;
    }
  }

  function releaseFrom(w: WorkerState, key: number, job: JobTasks | undefined): void {
    if (w.ahead.has(key) && job) job.ahead -= 1;
    countAhead(w, -1, release(w, key, job?.info.spec));
  }

  function reset(w: WorkerState): void {
    countAhead(w, -1);
    resetCapacity(w, specOf);
    countAhead(w, 1);
  }

  function worker(jid: string): WorkerState {
    let state = workers.get(jid);
    if (!state) {
      state = createWorkerState(jid);
      workers.set(jid, state);
    }
    return state;
  }

  /** Hand out one queued task of the job to the worker: in a free slot, or ahead of one. */
  function assign(w: WorkerState, job: JobTasks, tasks: TaskDispatch[], ahead: boolean): boolean {
    const taken = job.take();
    if (!taken) return false;
    const spec = job.info.spec;
    job.startedAt ??= now();
    const ref = { jobId: job.info.id, index: taken.index, attempt: taken.attempt };
    const key = taskKey(ref.jobId, ref.index);
    holder.set(key, w.jid);
    if (ahead) {
      holdAhead(w, key, ref);
      job.ahead += 1;
    } else occupy(w, key, ref, spec);
    tasks.push({
      ...ref,
      command: spec.command,
      cleanup: spec.cleanup,
      cores: spec.cores ?? 1,
      ram: spec.ram,
      timeout: spec.timeout,
      owner: job.info.owner,
    });
    return true;
  }

  const mayTake = (w: WorkerState, job: JobTasks, profile: WorkerProfile): boolean =>
    job.counts.queued > 0 && provides(profile, job.info.spec) && !w.refused.has(job.info.id);

  /** Tasks for the worker's free capacity, oldest job first. */
  function fillSlots(w: WorkerState, tasks: TaskDispatch[]): void {
    const profile = w.profile;
    if (!isEligible(w) || w.free.slots <= 0 || !profile) return;
    for (const job of active) {
      if (!mayTake(w, job, profile)) continue;
      for (let n = fits(w.free, job.info.spec); n > 0; n -= 1) {
        if (!assign(w, job, tasks, false)) break;
      }
      if (w.free.slots <= 0) break;
    }
  }

  /**
   * Slot-only tasks ahead of the worker's free slots, up to what it offers (its `prefetch`, at
   * most MAX_AHEAD): its next task is there when a slot frees, instead of a round trip later.
   */
  function fillAhead(w: WorkerState, tasks: TaskDispatch[]): void {
    const profile = w.profile;
    if (!isEligible(w) || !profile) return;
    let room = aheadRoom(w);
    if (room <= 0) return;
    for (const job of active) {
      if (!slotOnly(job.info.spec) || !mayTake(w, job, profile)) continue;
      while (room > 0 && assign(w, job, tasks, true)) room -= 1;
      if (room <= 0) break;
    }
  }

  function fill(w: WorkerState, out: Action[]): void {
    const tasks: TaskDispatch[] = [];
    fillSlots(w, tasks);
    fillAhead(w, tasks);
    if (tasks.length > 0) out.push({ kind: 'dispatch', worker: w.jid, tasks });
  }

  const hasQueued = () => active.some((job) => job.counts.queued > 0);

  /**
   * Every worker's free slots first, then what each takes ahead: no task waits ahead on one
   * worker while another worker has a slot free for it.
   */
  function fillAll(out: Action[]): void {
    if (!hasQueued()) return;
    const byWorker = new Map<WorkerState, TaskDispatch[]>();
    for (const w of workers.values()) {
      const tasks: TaskDispatch[] = [];
      fillSlots(w, tasks);
      if (tasks.length > 0) byWorker.set(w, tasks);
    }
    if (hasQueued()) {
      for (const w of workers.values()) {
        const tasks = byWorker.get(w) ?? [];
        fillAhead(w, tasks);
        if (tasks.length > 0) byWorker.set(w, tasks);
      }
    }
    for (const [w, tasks] of byWorker) out.push({ kind: 'dispatch', worker: w.jid, tasks });
  }

  function finishIfEnded(job: JobTasks, out: Action[]): void {
    if (job.finishedAt !== undefined || !job.isEnded()) return;
    job.finishedAt = now();
    const counts = { ...job.counts };
    out.push({
      kind: 'job_finished',
      jobId: job.info.id,
      to: job.info.replyTo,
      counts,
      at: job.finishedAt,
    });
    job.release();
    active = active.filter((j) => j !== job);
    untrackOpen(job);
  }

  /** Take a running task away from its holder and put it back in the queue (or fail it if lost too often). */
  function requeue(job: JobTasks, index: number, out: Action[]): void {
    const key = taskKey(job.info.id, index);
    const jid = holder.get(key);
    const ref = { jobId: job.info.id, index, attempt: job.attempts(index) };
    holder.delete(key);
    if (jid !== undefined) {
      const w = workers.get(jid);
      if (w) releaseFrom(w, key, job);
      let former = formerHolders.get(key);
      if (!former) formerHolders.set(key, (former = new Set()));
      former.add(jid);
    }
    const lost = job.addLost(index);
    if (lost >= maxLost) {
      job.set(index, 'failed');
      formerHolders.delete(key);
      out.push({
        kind: 'give_up',
        task: ref,
        reason: `task lost ${lost} times: its worker vanished each time`,
      });
      finishIfEnded(job, out);
      return;
    }
    job.requeue(index);
    out.push({ kind: 'requeue', task: ref, lost });
  }

  function drop(jid: string, out: Action[], refill = true): void {
    const w = workers.get(jid);
    if (!w) return;
    for (const ref of [...w.running.values()]) {
      const job = jobs.get(ref.jobId);
      if (job) requeue(job, ref.index, out);
    }
    workers.delete(jid);
    if (refill) fillAll(out);
  }

  function recordResult(jid: string, r: TaskResult, out: Action[]): void {
    const job = jobs.get(r.jobId);
    const ack = () =>
      out.push({
        kind: 'ack',
        worker: jid,
        tasks: [{ jobId: r.jobId, index: r.index, attempt: r.attempt }],
      });
    if (!job || r.index >= job.info.spec.queue || job.finishedAt !== undefined) return void ack();
    const state = job.state(r.index);
    if (state !== 'running' && state !== 'queued') return void ack();
    const key = taskKey(r.jobId, r.index);
    const current = holder.get(key);
    const isCurrent = current === jid && state === 'running' && r.attempt === job.attempts(r.index);
    const isFormer = formerHolders.get(key)?.has(jid) === true;
    if (!isCurrent && !isFormer) return void ack();
    const success = r.exitCode === 0 && r.signal === null && r.error === undefined;
    if (!isCurrent && !success) return void ack();
    if (current !== undefined) {
      // A former holder's success ends the task; whoever runs it now is told to stop.
      if (current !== jid)
        out.push({
          kind: 'cancel_tasks',
          worker: current,
          tasks: [{ jobId: r.jobId, index: r.index, attempt: job.attempts(r.index) }],
        });
      const w = workers.get(current);
      if (w) releaseFrom(w, key, job);
      holder.delete(key);
    }
    let outcome: 'done' | 'failed' | 'retry' = 'done';
    if (!success) outcome = job.addFailure(r.index) > job.info.spec.retries ? 'failed' : 'retry';
    if (outcome === 'retry') job.set(r.index, 'queued');
    else {
      job.set(r.index, outcome);
      formerHolders.delete(key);
    }
    out.push({ kind: 'record', worker: jid, result: r, outcome });
    ack();
    finishIfEnded(job, out);
  }

  /**
   * Cancel jobs at the cost of what runs, not of their size: the running tasks are found among the
   * holders, every task still queued is counted cancelled at once, and the ended jobs' per-task
   * arrays are released. Walking every index made one cancel of 50 jobs of 10,000,000 tasks block
   * a head node (server and manager share its event loop) for 25 s and touch 500 MB.
   */
  function cancelJobs(list: readonly JobTasks[], out: Action[]): number {
    const ids = new Set(list.map((job) => job.info.id));
    if (ids.size === 0) return 0;
    let cancelled = 0;
    const byWorker = new Map<string, TaskRef[]>();
    for (const [key, jid] of holder) {
      const id = jobOfKey(key);
      const job = ids.has(id) ? jobs.get(id) : undefined;
      if (!job) continue;
      const index = indexOfKey(key);
      let refs = byWorker.get(jid);
      if (!refs) byWorker.set(jid, (refs = []));
      refs.push({ jobId: job.info.id, index, attempt: job.attempts(index) });
      const w = workers.get(jid);
      if (w) releaseFrom(w, key, job);
      holder.delete(key);
      job.set(index, 'cancelled');
      cancelled += 1;
    }
    for (const key of formerHolders.keys()) if (ids.has(jobOfKey(key))) formerHolders.delete(key);
    const at = now();
    for (const job of list) {
      cancelled += job.cancelRest();
      job.cancelledAt = at;
      out.push({ kind: 'cancel_job', jobId: job.info.id, at });
    }
    for (const [jid, tasks] of byWorker) out.push({ kind: 'cancel_tasks', worker: jid, tasks });
    for (const job of list) finishIfEnded(job, out);
    return cancelled;
  }

  function visible(
    requester: string,
    jobId: number | undefined,
    admin: boolean,
  ): Lookup<readonly JobTasks[]> {
    if (jobId === undefined) return { ok: true, value: byOwner.get(requester) ?? [] };
    const job = jobs.get(jobId);
    if (!job || (job.info.owner !== requester && !admin)) return { ok: false, code: 'unknown_job' };
    return { ok: true, value: [job] };
  }

  return {
    submit(info) {
      const job = createJobTasks(info);
      jobs.set(info.id, job);
      active.push(job);
      track(job, true);
      const out: Action[] = [];
      fillAll(out);
      return out;
    },

    presence(jid, available, show) {
      const out: Action[] = [];
      if (!available) {
        drop(jid, out);
        return out;
      }
      const w = worker(jid);
      w.show = show;
      fill(w, out);
      return out;
    },

    profile(jid, profile, running, update = false) {
      const out: Action[] = [];
      const w = worker(jid);
      if (update && w.profile !== undefined) {
        // Tasks dispatched since the worker sent this are not in its `running`: reconciling now
        // would requeue them as lost. Only the capacity changes (fewer slots: none is taken back).
        w.profile = profile;
        reset(w);
        fill(w, out);
        return out;
      }
      w.profile = profile;
      w.expectedUntil = undefined;
      const reported = new Set(running.map((ref) => taskKey(ref.jobId, ref.index)));
      for (const [key, ref] of [...w.running]) {
        const job = jobs.get(ref.jobId);
        if (!reported.has(key) && job) requeue(job, ref.index, out);
      }
      const stray = running.filter((ref) => {
        const key = taskKey(ref.jobId, ref.index);
        return holder.get(key) !== jid || w.running.get(key)?.attempt !== ref.attempt;
      });
      if (stray.length > 0) out.push({ kind: 'cancel_tasks', worker: jid, tasks: stray });
      reset(w);
      fill(w, out);
      // Tasks this worker no longer had went back to the queue: idle workers may take them. Only
      // then, so a storm of N logins does not cost N passes over every worker.
      if (out.some((a) => a.kind === 'requeue')) fillAll(out);
      return out;
    },

    results(jid, results) {
      const out: Action[] = [];
      for (const r of results) recordResult(jid, r, out);
      const w = workers.get(jid);
      if (w) fill(w, out);
      // A retried task went back to the queue: any idle worker may take it.
      if (out.some((a) => a.kind === 'record' && a.outcome === 'retry')) fillAll(out);
      return out;
    },

    returned(jid, tasks, reason) {
      const out: Action[] = [];
      const w = workers.get(jid);
      for (const ref of tasks) {
        const job = jobs.get(ref.jobId);
        if (!job || job.finishedAt !== undefined || ref.index >= job.info.spec.queue) continue;
        if (reason === 'blocked' && w) w.refused.add(ref.jobId);
        const key = taskKey(ref.jobId, ref.index);
        // Only the attempt this worker holds now: an older one has been dealt with already.
        if (holder.get(key) !== jid || job.attempts(ref.index) !== ref.attempt) continue;
        if (job.state(ref.index) !== 'running') continue;
        holder.delete(key);
        if (w) releaseFrom(w, key, job);
        job.requeue(ref.index);
        out.push({ kind: 'requeue', task: ref, lost: job.lost(ref.index) });
      }
      fillAll(out);
      return out;
    },

    unresponsive(...jids) {
      const out: Action[] = [];
      for (const jid of jids) drop(jid, out, false);
      fillAll(out);
      return out;
    },

    cancel(requester, jobId, admin) {
      let list: JobTasks[];
      if (jobId === undefined) list = [...(openByOwner.get(requester) ?? [])];
      else {
        const found = visible(requester, jobId, admin);
        if (!found.ok) return found;
        list = found.value.filter((job) => job.finishedAt === undefined);
      }
      list.sort((a, b) => a.info.id - b.info.id);
      const actions: Action[] = [];
      const tasks = cancelJobs(list, actions);
      return { ok: true, value: { jobIds: list.map((job) => job.info.id), tasks, actions } };
    },

    jobs: visible,

    load(owner) {
      let tasks = 0;
      const open = openByOwner.get(owner) ?? new Set<JobTasks>();
      for (const job of open) tasks += job.counts.queued + job.counts.running;
      return { jobs: open.size, tasks };
    },

    awaitProfile(jid) {
      const w = workers.get(jid);
      if (w) w.profile = undefined;
    },

    tick() {
      const out: Action[] = [];
      const t = now();
      for (const w of [...workers.values()]) {
        if (w.expectedUntil !== undefined && w.expectedUntil <= t) drop(w.jid, out);
      }
      return out;
    },

    workers: () => [...workers.values()],

    restoreJob(info, ended) {
      const job = createJobTasks(info);
      jobs.set(info.id, job);
      track(job, !ended);
      if (!ended) {
        active.push(job);
        return;
      }
      job.release();
      Object.assign(job.counts, ended.counts);
      job.cancelledAt = ended.cancelledAt;
      job.finishedAt = ended.finishedAt;
    },

    restoreTask(ref, state, failures, lost, jid) {
      const job = jobs.get(ref.jobId);
      if (!job || job.finishedAt !== undefined) return;
      job.restore(ref.index, state, ref.attempt, failures, lost);
      if (state !== 'running' || jid === undefined) return;
      const key = taskKey(ref.jobId, ref.index);
      holder.set(key, jid);
      worker(jid).running.set(key, ref);
    },

    finishRestore() {
      const out: Action[] = [];
      for (const w of workers.values())
        if (w.profile === undefined) w.expectedUntil = now() + graceMs;
      for (const job of [...active]) finishIfEnded(job, out);
      return out;
    },

    expectReports() {
      const until = now() + graceMs;
      for (const w of workers.values()) {
        w.expectedUntil = until;
        // Nothing new until its profile says what it runs now: tasks handed out after its resent
        // results but before that profile would be missing from it, and requeued as lost.
        w.profile = undefined;
      }
    },

    job: (jobId) => jobs.get(jobId),

    allJobs: () => jobs.values(),

    forgetFinished(before) {
      const gone: number[] = [];
      const owners = new Set<string>();
      for (const [id, job] of jobs) {
        if (job.finishedAt === undefined || job.finishedAt >= before) continue;
        jobs.delete(id);
        gone.push(id);
        owners.add(job.info.owner);
      }
      // Finished jobs are out of openByOwner already; status lists byOwner.
      for (const owner of owners) {
        const kept = (byOwner.get(owner) ?? []).filter((job) => jobs.has(job.info.id));
        if (kept.length > 0) byOwner.set(owner, kept);
        else byOwner.delete(owner);
      }
      return gone;
    },
  };
}
