/** Domain types of the scheduling core. Wire formats live in shared/protocol; the service maps between them. */

export interface JobSpec {
  command: string;
  queue: number;
  requires: string[];
  cleanup?: string;
  /**
   * Cores each task needs, when the job asked. Absent: the job did not ask, and only the worker's
   * slots limit how many of its tasks run there at once (docs/PROTOCOL.md, slots and cores).
   */
  cores?: number;
  /** MB; 0 means "no requirement". */
  ram: number;
  retries: number;
  /** Wall-clock seconds each task may run; none when absent. */
  timeout?: number;
}

export interface JobInfo {
  id: number;
  /** Bare JID of the submitter: who may see and cancel the job. */
  owner: string;
  /** Full JID the job came from: where `job_finished` goes. */
  replyTo: string;
  spec: JobSpec;
  submittedAt: number;
}

export interface TaskRef {
  jobId: number;
  index: number;
  attempt: number;
}

export interface TaskResult extends TaskRef {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdoutTail: string;
  stderrTail: string;
  error?: string;
}

export interface WorkerProfile {
  os: string;
  ram: number;
  cores: number;
  provides: string[];
  slots: number;
  /** Tasks the worker takes ahead of its free slots, queued until a slot frees (absent: none). */
  prefetch?: number;
}

/** Why a worker gave tasks back unfinished: its owner blocked the job, or it held them suspended too long. */
export type ReturnReason = 'blocked' | 'suspended';

export type PresenceShow = 'away' | 'chat' | 'dnd' | 'xa';

export type TaskState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobCounts {
  queued: number;
  running: number;
  done: number;
  failed: number;
  cancelled: number;
}

export interface TaskDispatch extends TaskRef {
  command: string;
  cleanup?: string;
  /** As the job asked; 1 when it did not (the wire always names a number). */
  cores: number;
  ram: number;
  timeout?: number;
  /** The job's owner (bare JID): workers show it to their owner, who may block them. */
  owner: string;
}

/** What the core asks the service to do. Store effects are applied before messages are sent. */
export type Action =
  /** Persist the assignments, then send the tasks to the worker. */
  | { kind: 'dispatch'; worker: string; tasks: TaskDispatch[] }
  /** Tell a worker to stop tasks it should not run (no store effect). */
  | { kind: 'cancel_tasks'; worker: string; tasks: TaskRef[] }
  /** Persist a task's final or retried outcome. */
  | { kind: 'record'; worker: string; result: TaskResult; outcome: 'done' | 'failed' | 'retry' }
  /** Persist that a task is back in the queue (its worker vanished or lost it). */
  | { kind: 'requeue'; task: TaskRef; lost: number }
  /** Persist a task that failed for good because it was lost too often. */
  | { kind: 'give_up'; task: TaskRef; reason: string }
  /** Persist that a job was cancelled: every task not ended counts as cancelled. */
  | { kind: 'cancel_job'; jobId: number; at: number }
  /** Acknowledge results to the worker, once they are stored. */
  | { kind: 'ack'; worker: string; tasks: TaskRef[] }
  /** Every task of the job has ended: persist it and tell the owner. */
  | { kind: 'job_finished'; jobId: number; to: string; counts: JobCounts; at: number };
