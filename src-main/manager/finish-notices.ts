import { bareJid } from '../common/jid.ts';
import type { Outgoing } from './outbox.ts';
import type { ManagerStore } from './store.ts';

/**
 * `job_finished` for submitters who went offline. A chat message to someone with no online
 * resource bounces with an error when the server keeps no offline messages (RFC 6121 §8.5.2.2.1;
 * Kestrel's embedded server keeps none). A notice that bounces is marked unsent again and handed
 * to that person with the next reply the manager sends them.
 */

/** How long after sending a bounce is matched to the notice. */
const BOUNCE_WINDOW_MS = 60_000;

export interface FinishNotices {
  /** A job_finished went out: remember it for a while in case it bounces. */
  sent(out: Outgoing, at: number): void;
  /** A message to `from` bounced: its recent notices become pending again; how many. */
  bounced(from: string, at: number): number;
  /** Notices waiting for `to` (they are sent now, to this full JID). */
  takePending(to: string): Outgoing[];
}

interface Sent {
  out: Outgoing;
  jobId: number;
  at: number;
}

export function createFinishNotices(store: ManagerStore): FinishNotices {
  const recent = new Map<string, Sent[]>();
  const pending = new Map<string, Map<number, Outgoing>>();

  return {
    sent(out, at) {
      const jobId = Number(out.message.job_id);
      const key = bareJid(out.to);
      const list = (recent.get(key) ?? []).filter((s) => at - s.at < BOUNCE_WINDOW_MS);
      list.push({ out, jobId, at });
      recent.set(key, list);
    },
    bounced(from, at) {
      const key = bareJid(from);
      const list = recent.get(key);
      if (!list) return 0;
      recent.delete(key);
      let kept = 0;
      for (const s of list) {
        if (at - s.at >= BOUNCE_WINDOW_MS) continue;
        kept += 1;
        store.markNotified(s.jobId, false);
        const waiting = pending.get(key) ?? new Map<number, Outgoing>();
        waiting.set(s.jobId, s.out);
        pending.set(key, waiting);
      }
      return kept;
    },
    takePending(to) {
      const key = bareJid(to);
      const waiting = pending.get(key);
      if (!waiting) return [];
      pending.delete(key);
      return [...waiting.entries()].map(([jobId, out]) => ({
        to,
        message: out.message,
        sent: () => store.markNotified(jobId),
      }));
    },
  };
}
