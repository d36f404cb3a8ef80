import {
  decodeManagerMessage,
  encodeBatches,
  encodeMessage,
  errorMessage,
  type ReturnReason,
  type TaskRef as WireRef,
  type TaskResult as WireResult,
  type TaskSpec as WireSpec,
} from '../../shared/protocol/index.ts';
import { bareJid } from '../common/jid.ts';
import type { Logger } from '../common/log.ts';
import type { ManagerPresence, PresenceShow, XmppConnection } from '../xmpp/connection.ts';
import type { Executor, RunningTask, TaskSpec } from './executor.ts';
import type { Profile } from './profile.ts';
import { createRefusals } from './refusals.ts';
import { fromWireTask, refOf, toWireResult } from './wire.ts';

/**
 * The worker process: takes tasks only from its manager, runs them, reports each result until the
 * manager acks it, and after every reconnect tells the manager what it still runs (docs/PROTOCOL.md).
 */

export interface WorkerServiceOptions {
  connection: XmppConnection;
  /** The manager's bare JID: the only sender whose tasks are run. */
  manager: string;
  executor: Executor;
  profile: Profile;
  log: Logger;
  /**
   * Whether this worker's owner lets the task run: a reason for refusing it (they blocked the
   * job or its submitter), or undefined. A refused task is given back as `blocked`.
   */
  refuse?(task: TaskSpec): string | undefined;
}

export interface WorkerService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Tasks running now. */
  running(): number;
  /** Results sent but not yet acknowledged (durably stored) by the manager. */
  unacked(): number;
  /**
   * Stop taking new tasks (presence `away`, or `xa` while tasks are suspended: the manager sends
   * no more); `status` says why. `resume()` takes work again.
   */
  pause(show?: Extract<PresenceShow, 'away' | 'xa'>, status?: string): Promise<void>;
  resume(): Promise<void>;
  readonly paused: boolean;
  /** Stops these tasks and gives them back to the manager unfinished (`return_tasks`). */
  handBack(tasks: readonly WireRef[], reason: ReturnReason): void;
  /** Offers a new profile (slots) at once, running tasks and all (a `profile` update). */
  updateProfile(profile: Profile): void;
}

const taskKey = (r: WireRef) => `${r.job_id}:${r.index}`;
const resultKey = (r: WireRef) => `${r.job_id}:${r.index}:${r.attempt}`;

/**
 * `task_results` bodies under the stanza limit, split by their bytes on the wire. Measuring
 * string length let 14 results with 3-byte characters in their tails make a 350 KB stanza,
 * for which the server dropped the worker, at every resend.
 */
const resultBodies = (results: WireResult[]) =>
  encodeBatches(results, (batch) => ({ type: 'task_results', v: 1, results: batch }));

export function createWorkerService(options: WorkerServiceOptions): WorkerService {
  const { connection, executor, log } = options;
  let profile = options.profile;
  const manager = bareJid(options.manager);
  interface Entry {
    ref: WireRef;
    task: RunningTask;
    cancelled: boolean;
    holdsSlot: boolean;
  }
  const running = new Map<string, Entry>();
  /**
   * Tasks sent ahead of a free slot (the profile's `prefetch`), in the order they came: the next
   * starts the moment a slot frees, without waiting a round trip to the manager.
   */
  const queued = new Map<string, WireSpec>();
  /** Running tasks that hold a slot: not cancelled (on its way out), not exited. */
  let busy = 0;
  const unacked = new Map<string, WireResult>();
  let fresh: WireResult[] = [];
  let flushScheduled = false;
  /**
   * The manager's full JID whose tasks are run: of its resources online, the active one with the
   * highest epoch (docs/PROTOCOL.md, "Active and standby managers"); among equals, the first seen.
   */
  let managerJid: string | undefined;
  let managerEpoch = 0;
  /** Every online resource of the manager's account, in the order they came online. */
  const managerResources = new Map<string, ManagerPresence | undefined>();
  /** A resource that says nothing of itself is a manager of epoch 0 (one without standbys). */
  const epochOf = (m: ManagerPresence | undefined) => (m?.role === 'active' ? m.epoch : 0);
  let stopped = false;
  let paused = false;

  /** The resource to follow now: standbys never, the highest epoch, the earliest among equals. */
  function best(): string | undefined {
    let found: string | undefined;
    let epoch = -1;
    for (const [jid, m] of managerResources) {
      if (m?.role === 'standby' || epochOf(m) <= epoch) continue;
      found = jid;
      epoch = epochOf(m);
    }
    return found;
  }

  function sendResults(results: WireResult[]): void {
    if (!managerJid || results.length === 0) return;
    for (const body of resultBodies(results)) {
      connection
        .sendText(managerJid, body)
        .catch((error: unknown) =>
          log.warn('could not send results; will resend on reconnect', { error: String(error) }),
        );
    }
  }

  function flushFresh(): void {
    flushScheduled = false;
    const batch = fresh;
    fresh = [];
    sendResults(batch);
  }

  /** Resend every unacked result, then the profile with what runs now (reconciliation). */
  function report(): void {
    if (!managerJid) return;
    fresh = [];
    sendResults([...unacked.values()]);
    connection
      .sendText(managerJid, encodeMessage({ type: 'profile', v: 1, ...profile, running: held() }))
      .catch((error: unknown) => log.warn('could not send profile', { error: String(error) }));
  }

  function giveBack(tasks: readonly WireRef[], reason: ReturnReason): void {
    if (!managerJid || tasks.length === 0) return;
    connection
      .sendJson(managerJid, { type: 'return_tasks', v: 1, reason, tasks })
      .catch((error: unknown) =>
        // The manager learns it from the next profile's `running` instead.
        log.warn('could not give tasks back', { reason, error: String(error) }),
      );
  }

  /** A task gives its slot back once: when cancelled (it is on its way out) or when it exits. */
  function freeSlot(entry: Entry): void {
    if (!entry.holdsSlot) return;
    entry.holdsSlot = false;
    busy -= 1;
  }

  /** Marks a running task as cancelled (it no longer takes a slot) and stops it. */
  function stopEntry(entry: Entry): void {
    freeSlot(entry);
    entry.cancelled = true;
    entry.task.cancel();
  }

  /** A task from the manager: started if a slot is free, else queued behind those sent before. */
  function receive(spec: WireSpec): void {
    const key = taskKey(spec);
    const current = running.get(key);
    if (current?.ref.attempt === spec.attempt || queued.get(key)?.attempt === spec.attempt) return;
    if (current && !current.cancelled) stopEntry(current);
    queued.delete(key);
    if (busy < profile.slots && queued.size === 0) return launch(spec);
    // Paused: the manager sent it before it saw us go away; another worker may run it now.
    if (paused) return giveBack([refOf(spec)], 'suspended');
    queued.set(key, spec);
  }

  /** Starts queued tasks while slots are free. */
  function startQueued(): void {
    for (const [key, spec] of queued) {
      if (busy >= profile.slots || stopped || paused) return;
      queued.delete(key);
      launch(spec);
    }
  }

  function launch(spec: WireSpec): void {
    const key = taskKey(spec);
    const ref = refOf(spec);
    const taskSpec: TaskSpec = fromWireTask(spec);
    const refusal = options.refuse?.(taskSpec);
    if (refusal !== undefined) {
      log.info('refused a task', { job: spec.job_id, index: spec.index, why: refusal });
      giveBack([ref], 'blocked');
      return;
    }
    const task = executor.run(taskSpec);
    const entry: Entry = { ref, task, cancelled: false, holdsSlot: true };
    running.set(key, entry);
    busy += 1;
    // The next queued task starts as soon as this one's processes have ended; its directories
    // are removed meanwhile (the result waits for that).
    void (task.exited ?? task.result).then(() => {
      freeSlot(entry);
      startQueued();
    });
    void task.result.then((outcome) => {
      if (running.get(key) === entry) running.delete(key);
      // A task the manager cancelled has ended for it already: nothing to report.
      if (entry.cancelled || stopped) return;
      const result = toWireResult(ref, outcome);
      unacked.set(resultKey(ref), result);
      fresh.push(result);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushFresh);
      }
    });
  }

  function cancel(refs: WireRef[]): void {
    for (const ref of refs) {
      const key = taskKey(ref);
      if (queued.get(key)?.attempt === ref.attempt) queued.delete(key);
      const entry = running.get(key);
      if (!entry || entry.ref.attempt !== ref.attempt || entry.cancelled) continue;
      stopEntry(entry);
    }
    startQueued();
  }

  /** What this worker holds for the manager: the tasks it runs, then those queued. */
  function held(): WireRef[] {
    const refs = [...running.values()].filter((r) => !r.cancelled).map((r) => r.ref);
    for (const spec of queued.values()) refs.push(refOf(spec));
    return refs;
  }

  connection.on('presence', ({ from, available, manager: announced }) => {
    if (bareJid(from) !== manager) return;
    if (!available) {
      managerResources.delete(from);
      if (from !== managerJid) return;
      managerJid = undefined;
      // The longest-online other resource of the manager's account, if any, takes over.
      const next = best();
      if (next !== undefined) follow(next);
      return;
    }
    const known = managerResources.has(from);
    managerResources.set(from, announced);
    const epoch = epochOf(announced);
    if (announced?.role === 'standby') {
      // Waits to take over; it says so again, with its epoch, when it does.
      if (from === managerJid) {
        managerJid = undefined;
        const next = best();
        if (next !== undefined) follow(next);
      }
      return;
    }
    // A takeover: the new active manager's epoch is higher; it rebuilt its state from the
    // store and needs our report, as after a restart. Its predecessor is not heard any more.
    if (managerJid === undefined || epoch > managerEpoch) follow(from);
    else if (!known && from !== managerJid) {
      // Another login to the manager's account must not take a worker from the manager it
      // follows: it is followed only once that one has gone.
      log.warn('another resource of the manager account is online; not following it', {
        manager: managerJid,
        other: from,
      });
    }
  });

  function follow(jid: string): void {
    managerJid = jid;
    managerEpoch = epochOf(managerResources.get(jid));
    log.info('manager is online; reporting', {
      manager: jid,
      ...(managerEpoch > 0 ? { epoch: managerEpoch } : {}),
      running: running.size,
      unacked: unacked.size,
    });
    report();
  }

  connection.on('offline', ({ reason }) => {
    managerJid = undefined;
    managerEpoch = 0;
    managerResources.clear();
    if (!stopped) log.warn('xmpp connection lost; reconnecting', { reason });
  });
  connection.on('online', ({ reconnected, downMs, attempts }) => {
    if (reconnected) log.info('xmpp connection back', { down_ms: downMs, attempts });
  });

  const refusal = encodeMessage(
    errorMessage({
      code: 'forbidden',
      reason: `this worker takes work only from its manager, ${manager}`,
    }),
  );
  const refusals = createRefusals({
    log,
    answer: (to) => void connection.sendText(to, refusal).catch(() => undefined),
  });

  connection.on('message', ({ from, body }) => {
    // Only the manager's full JID whose presence we follow: not any resource of its account, and
    // not a manager of an older epoch (deposed: its tasks and acks no longer count).
    if (from !== managerJid) {
      refusals.refuse(from);
      return;
    }
    const decoded = decodeManagerMessage(body);
    if (!decoded.ok) {
      log.warn('bad message from manager', { error: decoded.error });
      return;
    }
    const m = decoded.message;
    switch (m.type) {
      case 'tasks':
        for (const t of m.tasks) receive(t);
        return;
      case 'cancel_tasks':
        cancel(m.tasks);
        return;
      case 'ack':
        for (const r of m.results) unacked.delete(resultKey(r));
        return;
      case 'resync':
        report();
        return;
      case 'error':
        log.warn('manager reported an error', { code: m.code, reason: m.reason });
        return;
    }
  });

  return {
    async start() {
      await connection.start();
      await connection.subscribe(manager);
      log.info('worker online', { jid: connection.jid, manager, slots: profile.slots });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      queued.clear(); // the manager requeues them when this worker goes offline
      refusals.stop();
      try {
        await executor.cancelAll();
      } finally {
        await connection.stop();
      }
    },
    running: () => running.size,
    unacked: () => unacked.size,
    async pause(show = 'away', status = 'paused') {
      paused = true;
      await connection.setPresence(show, status);
      // Queued tasks have not started: the pool runs them elsewhere instead of waiting for us.
      const waiting = [...queued.values()].map(refOf);
      queued.clear();
      giveBack(waiting, 'suspended');
    },
    async resume() {
      paused = false;
      await connection.setPresence();
    },
    get paused() {
      return paused;
    },
    handBack(tasks, reason) {
      const given: WireRef[] = [];
      for (const ref of tasks) {
        const key = taskKey(ref);
        const waiting = queued.get(key);
        if (waiting?.attempt === ref.attempt) {
          queued.delete(key);
          given.push(refOf(waiting));
          continue;
        }
        const entry = running.get(key);
        if (!entry || entry.ref.attempt !== ref.attempt || entry.cancelled) continue;
        // No result follows: the manager runs it elsewhere.
        stopEntry(entry);
        given.push(entry.ref);
      }
      startQueued();
      if (given.length > 0) log.info('giving tasks back', { reason, tasks: given.length });
      giveBack(given, reason);
    },
    updateProfile(next) {
      profile = next;
      startQueued(); // more slots: queued tasks start now
      if (!managerJid) return; // the next report after a reconnect carries it
      connection
        .sendJson(managerJid, { type: 'profile', v: 1, ...profile, running: held(), update: true })
        .catch((error: unknown) => log.warn('could not send profile', { error: String(error) }));
    },
  };
}
