import type { Action, TaskDispatch, TaskRef } from './core/types.ts';
import type { FinishedJob } from './finish-notices.ts';
import type { ManagerStore } from './store.ts';

/**
 * Group commit: actions produced while handling a burst of stanzas are stored in one transaction,
 * and only then are their messages sent. A task is never sent before its assignment is durable,
 * and a result is never acked before it is recorded.
 */

export const MAX_BATCH = 1000;

export interface Outgoing {
  to: string;
  message: Record<string, unknown>;
}

const wireRef = (t: TaskRef) => ({ job_id: t.jobId, index: t.index, attempt: t.attempt });

function wireTask(t: TaskDispatch) {
  return {
    ...wireRef(t),
    command: t.command,
    ...(t.cleanup === undefined ? {} : { cleanup: t.cleanup }),
    cores: t.cores,
    ram: t.ram,
    ...(t.timeout === undefined ? {} : { timeout: t.timeout }),
    owner: t.owner,
  };
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH) out.push(items.slice(i, i + MAX_BATCH));
  return out;
}

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
    for (const part of chunks(list))
      out.unshift({ to, message: { type: 'cancel_tasks', v: 1, tasks: part.map(wireRef) } });
  }
  for (const [to, list] of tasks) {
    for (const part of chunks(list))
      out.push({ to, message: { type: 'tasks', v: 1, tasks: part.map(wireTask) } });
  }
  return { messages: out, acks, finished };
}

const ackMessage = (to: string, refs: TaskRef[]): Outgoing => ({
  to,
  message: { type: 'ack', v: 1, results: refs.map(wireRef) },
});

export interface Outbox {
  push(actions: readonly Action[]): void;
  /** Store and send everything pending now, acks included (used at shutdown). */
  flush(): void;
}

export interface OutboxOptions {
  /**
   * How long stored results may wait for their `ack`, so that one ack covers every result a
   * worker sent meanwhile. A busy one-slot worker sends a result per task; acking each alone
   * makes a task cost three stanzas instead of two plus a fraction. Default 200 ms.
   */
  ackDelayMs?: number;
}

export function createOutbox(
  store: ManagerStore,
  send: (out: Outgoing) => void,
  /** Jobs that ended, once their end is stored (for finish-notices.ts). */
  finished: (job: FinishedJob) => void,
  options: OutboxOptions = {},
): Outbox {
  const ackDelayMs = options.ackDelayMs ?? 200;
  let pending: Action[] = [];
  let scheduled = false;
  /** Results stored but not acked yet, by worker. */
  let acks = new Map<string, TaskRef[]>();
  let ackTimer: NodeJS.Timeout | undefined;

  function sendAcks(): void {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    const due = acks;
    acks = new Map();
    for (const [to, refs] of due) for (const part of chunks(refs)) send(ackMessage(to, part));
  }

  function flush(): void {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    // If the store fails the manager must not send what it could not record: the error propagates
    // and the process ends; a restarted manager recovers from what was committed.
    store.apply(batch);
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
        for (const part of chunks(list)) send(ackMessage(to, part));
      }
    }
    if (acks.size > 0) ackTimer ??= setTimeout(sendAcks, ackDelayMs);
  }

  return {
    push(actions) {
      if (actions.length === 0) return;
      for (const a of actions) pending.push(a);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush() {
      flush();
      sendAcks();
    },
  };
}
