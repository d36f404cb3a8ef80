import { encodeBatches, MAX_BATCH } from '../../shared/protocol/index.ts';
import type { Action, TaskDispatch, TaskRef } from './core/types.ts';
import type { FinishedJob } from './finish-notices.ts';
import type { ManagerStore } from './store.ts';
import { toWireRef, toWireTask } from './wire.ts';

/**
 * Group commit: actions produced while handling a burst of stanzas are stored in one transaction,
 * and only then are their messages sent. A task is never sent before its assignment is durable,
 * and a result is never acked before it is recorded. The store answers asynchronously (PostgreSQL
 * over a socket): one batch is committed at a time, in order, and what arrives meanwhile makes the
 * next batch, so a slower store means larger batches rather than reordered messages.
 */

/** An encoded body for one recipient: batches are split by bytes as well as by count. */
export interface Outgoing {
  to: string;
  body: string;
}

// Split by bytes, not only by count: 16 tasks with 4,095-character commands and cleanups made one
// `tasks` body over the server's 256 KiB stanza limit, and the server dropped the manager.
const tasksBodies = (list: TaskDispatch[]) =>
  encodeBatches(list.map(toWireTask), (tasks) => ({ type: 'tasks', v: 1, tasks }));
const cancelBodies = (list: TaskRef[]) =>
  encodeBatches(list.map(toWireRef), (tasks) => ({ type: 'cancel_tasks', v: 1, tasks }));
const ackBodies = (list: TaskRef[]) =>
  encodeBatches(list.map(toWireRef), (results) => ({ type: 'ack', v: 1, results }));

/**
 * Turn a batch of actions into messages: one `tasks` and `cancel_tasks` per worker at most.
 * Acks are returned apart, by worker, for the outbox to coalesce; jobs that ended, for their
 * notices.
 */
export function messagesFor(actions: readonly Action[]): {
  messages: Outgoing[];
  acks: Map<string, TaskRef[]>;
  finished: FinishedJob[];
} {
  const tasks = new Map<string, TaskDispatch[]>();
  const cancels = new Map<string, TaskRef[]>();
  const acks = new Map<string, TaskRef[]>();
  const add = <T>(map: Map<string, T[]>, key: string, items: T[]) => {
    const list = map.get(key);
    if (list) for (const item of items) list.push(item);
    else map.set(key, [...items]);
  };
  const out: Outgoing[] = [];
  const finished: FinishedJob[] = [];
  for (const a of actions) {
    if (a.kind === 'dispatch') add(tasks, a.worker, a.tasks);
    else if (a.kind === 'cancel_tasks') add(cancels, a.worker, a.tasks);
    else if (a.kind === 'ack') add(acks, a.worker, a.tasks);
    else if (a.kind === 'job_finished')
      finished.push({ jobId: a.jobId, to: a.to, counts: a.counts });
  }
  // Cancels first: a worker told to stop a task must not be handed its replacement before.
  for (const [to, list] of cancels) {
    for (const body of cancelBodies(list)) out.unshift({ to, body });
  }
  for (const [to, list] of tasks) {
    for (const body of tasksBodies(list)) out.push({ to, body });
  }
  return { messages: out, acks, finished };
}

export interface Outbox {
  /**
   * Queues actions for the next batch. Resolves once their batch is stored and its messages sent
   * (true), or could not be stored (false): a reply that reports a change (a cancel) waits for it.
   */
  push(actions: readonly Action[]): Promise<boolean>;
  /** Store and send everything pending now, acks included (used at shutdown). */
  flush(): Promise<void>;
}

export interface OutboxOptions {
  /**
   * How long stored results may wait for their `ack`, so that one ack covers every result a
   * worker sent meanwhile. A busy one-slot worker sends a result per task; acking each alone
   * makes a task cost three stanzas instead of two plus a fraction. Default 200 ms.
   */
  ackDelayMs?: number;
  /**
   * A batch could not be stored: none of its messages went out, and the manager must stop, since
   * its scheduler has moved past what the store holds (a restarted or standby manager recovers
   * from what was committed). Default: the error is thrown, which ends the process.
   */
  failed?: (error: unknown) => void;
}

const crash = (error: unknown) =>
  setImmediate(() => {
    throw error;
  });

export function createOutbox(
  store: ManagerStore,
  send: (out: Outgoing) => void,
  /** Jobs that ended, once their end is stored (for finish-notices.ts). */
  finished: (job: FinishedJob) => void,
  options: OutboxOptions = {},
): Outbox {
  const ackDelayMs = options.ackDelayMs ?? 200;
  const failed = options.failed ?? crash;
  let pending: Action[] = [];
  /** Settles with the pending batch's fate. */
  let pendingDone = Promise.withResolvers<boolean>();
  let scheduled = false;
  /** The batch being committed now, if any: the next waits for it. */
  let committing: Promise<void> | undefined;
  let broken = false;
  /** Results stored but not acked yet, by worker. */
  let acks = new Map<string, TaskRef[]>();
  let ackTimer: NodeJS.Timeout | undefined;

  function sendAcks(): void {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    const due = acks;
    acks = new Map();
    for (const [to, refs] of due) for (const body of ackBodies(refs)) send({ to, body });
  }

  /** The batch is durable: its messages go out now. */
  function deliver(batch: readonly Action[]): void {
    const out = messagesFor(batch);
    for (const message of out.messages) send(message);
    for (const job of out.finished) finished(job);
    for (const [to, refs] of out.acks) {
      const list = acks.get(to) ?? [];
      for (const ref of refs) list.push(ref);
      // A full batch goes at once: waiting would not make its message any fuller.
      if (list.length < MAX_BATCH) acks.set(to, list);
      else {
        acks.delete(to);
        for (const body of ackBodies(list)) send({ to, body });
      }
    }
    if (acks.size > 0) ackTimer ??= setTimeout(sendAcks, ackDelayMs);
  }

  function flush(): void {
    scheduled = false;
    if (committing !== undefined || broken || pending.length === 0) return;
    const batch = pending;
    const done = pendingDone;
    pending = [];
    pendingDone = Promise.withResolvers<boolean>();
    committing = store.apply(batch).then(
      () => {
        committing = undefined;
        deliver(batch);
        done.resolve(true);
        flush();
      },
      (error: unknown) => {
        // Nothing of the batch is sent: the store did not record it.
        committing = undefined;
        broken = true;
        clearTimeout(ackTimer);
        done.resolve(false);
        pendingDone.resolve(false);
        failed(error);
      },
    );
  }

  return {
    push(actions) {
      if (broken) return Promise.resolve(false);
      if (actions.length === 0) return Promise.resolve(true);
      for (const a of actions) pending.push(a);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return pendingDone.promise;
    },
    async flush() {
      while (!broken && (committing !== undefined || pending.length > 0)) {
        flush();
        await committing;
      }
      if (!broken) sendAcks();
    },
  };
}
