import type { JobFinished } from '../../shared/protocol/index.ts';
import { bareJid } from '../common/jid.ts';
import type { Logger } from '../common/log.ts';
import type { JobCounts } from './core/types.ts';
import { isDeposed, type ManagerStore } from './store.ts';

/**
 * The whole life of `job_finished`, the one message a submitter waits for: it goes out when a
 * job ends; it is recorded as delivered once handed to the connection; it goes out again after
 * the manager (re)connects if the record says it never went; and when it bounces, because the
 * submitter had no online resource and the server keeps no offline messages (RFC 6121
 * §8.5.2.2.1; Kestrel's embedded server keeps none), it waits for that person to speak or come
 * online again.
 *
 * Bounces are matched to the message by stanza id (RFC 6120 §8.3.1: an error stanza carries the
 * id of the stanza it answers), and only the latest send of a job counts: a late bounce of an
 * earlier copy never marks undelivered a notice that a later copy delivered.
 */

export interface FinishedJob {
  jobId: number;
  /** The full JID the job came from. */
  to: string;
  counts: JobCounts;
}

export interface FinishNoticesOptions {
  store: ManagerStore;
  /** Sends a JSON body; resolves with the stanza id once handed to the connection. */
  send(to: string, message: JobFinished): Promise<string>;
  log: Logger;
  now: () => number;
  /** The store refused a write because another manager took over: this one must stop. */
  deposed: (error: unknown) => void;
}

export interface FinishNotices {
  /** The scheduler reported a job ended (its end is stored): tell the submitter. */
  finished(job: FinishedJob): void;
  /** The manager is online again: notices the store holds as undelivered go out now. */
  resend(): Promise<void>;
  /** A message the manager sent bounced; true when it was a job_finished that must wait. */
  bounced(id: string | undefined, from: string): boolean;
  /** `jid` sent us something or came online: what waits for that person goes to `jid` now. */
  heardFrom(jid: string): void;
}

/** Sent notices are kept this long for their bounce; bounces come back in milliseconds. */
const BOUNCE_MEMORY_MS = 10 * 60_000;

interface Sent {
  jobId: number;
  message: JobFinished;
  at: number;
}

function noticeOf(job: FinishedJob): JobFinished {
  const { done, failed, cancelled } = job.counts;
  return { type: 'job_finished', job_id: job.jobId, done, failed, cancelled };
}

export function createFinishNotices(options: FinishNoticesOptions): FinishNotices {
  const { store, send, log, now, deposed } = options;
  /** Stanza id → the notice it carried, oldest first (a Map keeps insertion order). */
  const sent = new Map<string, Sent>();
  /** Job → the id of its latest send. */
  const latest = new Map<number, string>();
  /** Notices waiting for their submitter, by bare JID. */
  const waiting = new Map<string, Map<number, JobFinished>>();

  function forget(at: number): void {
    for (const [id, s] of sent) {
      if (at - s.at < BOUNCE_MEMORY_MS) break;
      sent.delete(id);
      if (latest.get(s.jobId) === id) latest.delete(s.jobId);
    }
  }

  function deliver(jobId: number, to: string, message: JobFinished): void {
    waiting.get(bareJid(to))?.delete(jobId);
    // Recorded before the send, which hands the stanza to the socket as soon as the record is
    // committed: once the submitter can have it, the store says so (a reader, or a manager that
    // takes over, never sees it delivered yet unrecorded). A manager killed between the two
    // loses this one notice rather than sending it twice.
    store
      .markNotified(jobId)
      .then(() => send(to, message))
      .then(
        (id) => {
          const at = now();
          forget(at);
          sent.set(id, { jobId, message, at });
          latest.set(jobId, id);
        },
        (error: unknown) => {
          if (isDeposed(error)) return deposed(error);
          // Not online: recorded as undelivered again, so the next (re)connect sends it.
          unmark(jobId);
          log.warn('could not send job_finished', { to, job_id: jobId, error: String(error) });
        },
      );
  }

  function unmark(jobId: number): void {
    store.markNotified(jobId, false).catch((error: unknown) => {
      if (isDeposed(error)) deposed(error);
      else
        log.error('could not record job_finished as undelivered', {
          job_id: jobId,
          error: String(error),
        });
    });
  }

  return {
    finished(job) {
      deliver(job.jobId, job.to, noticeOf(job));
    },

    async resend() {
      for (const job of await store.unnotifiedJobs()) {
        if (job.counts === undefined) continue;
        deliver(
          job.info.id,
          job.info.replyTo,
          noticeOf({ jobId: job.info.id, to: job.info.replyTo, counts: job.counts }),
        );
      }
    },

    bounced(id, from) {
      const s = id === undefined ? undefined : sent.get(id);
      if (id === undefined || s === undefined) return false;
      sent.delete(id);
      if (latest.get(s.jobId) !== id) return false; // a later copy went out after this one
      latest.delete(s.jobId);
      unmark(s.jobId);
      const key = bareJid(from);
      const forThem = waiting.get(key) ?? new Map<number, JobFinished>();
      forThem.set(s.jobId, s.message);
      waiting.set(key, forThem);
      return true;
    },

    heardFrom(jid) {
      const forThem = waiting.get(bareJid(jid));
      if (forThem === undefined) return;
      waiting.delete(bareJid(jid));
      for (const [jobId, message] of forThem) deliver(jobId, jid, message);
    },
  };
}
