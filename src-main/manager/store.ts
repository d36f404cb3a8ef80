import type { Logger } from '../common/log.ts';
import type { Action, JobCounts, JobInfo, JobSpec, TaskState } from './core/types.ts';
import type { Election } from './election.ts';

/**
 * The manager's durable state behind one interface with two backends: SQLite (store-sqlite.ts, the
 * default, one manager per store) and PostgreSQL (store-postgres.ts, shared by an active manager
 * and its standbys). Both pass one contract suite (test/integration/store/). Every method returns
 * a promise because PostgreSQL answers over a socket; the rule the manager keeps is the same on
 * both: a batch of actions is applied in one transaction, and only once it has committed do the
 * batch's messages leave (outbox.ts). Only tasks that were ever handed out have a row: an
 * untouched task is queued, so a job of a million tasks is one INSERT.
 */

export interface StoredJob {
  info: JobInfo;
  cancelledAt?: number;
  finishedAt?: number;
  counts?: JobCounts;
  notified: boolean;
}

export interface StoredTask {
  jobId: number;
  index: number;
  state: TaskState;
  attempt: number;
  failures: number;
  lost: number;
  worker?: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number | null;
  stdoutTail: string | null;
  stderrTail: string | null;
  error: string | null;
}

export type StoreKind = 'sqlite' | 'postgres';

export interface ManagerStore {
  readonly kind: StoreKind;
  /**
   * Who may write, on a store several managers share (PostgreSQL): every write is fenced by the
   * epoch this manager won. Undefined on SQLite, which has one manager.
   */
  readonly election: Election | undefined;
  insertJob(owner: string, replyTo: string, spec: JobSpec, at: number): Promise<JobInfo>;
  /** Apply the store effects of a batch of actions in one transaction. */
  apply(actions: readonly Action[]): Promise<void>;
  /** Record that the job's `job_finished` went out (or, with false, that it must go again). */
  markNotified(jobId: number, notified?: boolean): Promise<void>;
  jobs(): Promise<StoredJob[]>;
  /** Finished jobs whose `job_finished` is not recorded as delivered. */
  unnotifiedJobs(): Promise<StoredJob[]>;
  /** Task rows of jobs that have not finished (what a restarted manager needs). */
  openTasks(): Promise<StoredTask[]>;
  task(jobId: number, index: number): Promise<StoredTask | undefined>;
  failedTasks(jobId: number, limit: number): Promise<StoredTask[]>;
  /** Deletes these jobs and their tasks (finished jobs the scheduler forgot); returns how many went. */
  deleteJobs(jobIds: readonly number[]): Promise<number>;
  /** Idempotent; runs every cleanup step even when one fails. */
  close(): Promise<void>;
}

export type StoreErrorCode =
  /** Another manager took over: this one's writes are refused (PostgreSQL's epoch check). */
  | 'fenced'
  /** A write before this manager won the election (a standby must not write). */
  | 'not_active'
  /** The lock that makes this manager the active one is gone (its session ended or went silent). */
  | 'lock_lost'
  /** `--store` names something that is neither a PostgreSQL URL nor a file path. */
  | 'bad_location'
  /** The store was written by a different version of the manager. */
  | 'schema';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Whether this error means the manager is no longer the active one and must stop acting. */
export const isDeposed = (error: unknown): error is StoreError =>
  error instanceof StoreError &&
  (error.code === 'fenced' || error.code === 'lock_lost' || error.code === 'not_active');

/**
 * Text both backends can hold: PostgreSQL's text and jsonb refuse NUL and unpaired surrogates,
 * which a task's output (a worker's `stdout_tail`) may contain; both become U+FFFD on both
 * backends, so a result reads back the same whichever stores it.
 */
export function storable(text: string): string;
export function storable(text: string | null): string | null;
export function storable(text: string | null): string | null {
  if (text === null) return null;
  const whole = text.isWellFormed() ? text : text.toWellFormed();
  return whole.includes('\0') ? whole.replaceAll('\0', '\uFFFD') : whole;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;
const ANY_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

export interface OpenStoreOptions {
  /** This manager's name in the election and in `kestrel manager status` (its XMPP resource). */
  name?: string;
  /** PostgreSQL: how long a silent active manager keeps its lock (default 3000 ms). */
  takeoverAfterMs?: number;
  /** PostgreSQL: where its background troubles go (a session PostgreSQL ended, a lost link). */
  log?: Logger;
}

/**
 * `postgres://…` (as the `pg` package takes it) opens the shared PostgreSQL store; anything else
 * without a scheme is the path of a SQLite file (`:memory:` for a throwaway one).
 */
export async function openManagerStore(
  location: string,
  options: OpenStoreOptions = {},
): Promise<ManagerStore> {
  if (POSTGRES_URL.test(location)) {
    const { openPostgresStore } = await import('./store-postgres.ts');
    return openPostgresStore(location, options);
  }
  if (ANY_URL.test(location))
    throw new StoreError(
      'bad_location',
      `unknown store ${redactUrl(location)}: give a postgres:// URL or the path of a SQLite file`,
    );
  const { openSqliteStore } = await import('./store-sqlite.ts');
  return openSqliteStore(location);
}

/** A store location fit for logs: a URL's password is replaced. */
export function redactUrl(location: string): string {
  if (!ANY_URL.test(location)) return location;
  try {
    const url = new URL(location);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return location.replace(/\/\/[^@/]*@/, '//***@');
  }
}
