// The desktop notifications, as pure decisions: a job of yours finished (head mode), and the
// worker has been offline for a while (a volunteer who thinks they give CPU time and do not
// should learn it, but not on every dropped connection: only after OFFLINE_NOTICE_MS, once).
import type { ApiEvents, VolunteerSnapshot } from '../../shared/api.ts';

export interface Notice {
  title: string;
  body: string;
}

export const OFFLINE_NOTICE_MS = 5 * 60_000;

export function finishedNotice({ jobId, counts }: ApiEvents['jobs:finished']): Notice {
  const parts = [`${counts.done} done`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`);
  return { title: `Kestrel: job ${jobId} finished`, body: parts.join(', ') };
}

export interface OfflineWatch {
  /** Each snapshot, and now and then without one (the state may not change for hours). */
  observe(snapshot: VolunteerSnapshot, now: number): Notice | undefined;
}

/** Once per time offline: a volunteer who has joined, offline for `afterMs` on end. */
export function createOfflineWatch(afterMs = OFFLINE_NOTICE_MS): OfflineWatch {
  let since: number | undefined;
  let told = false;
  return {
    observe(snapshot, now) {
      if (snapshot.state !== 'offline' || !snapshot.configured) {
        since = undefined;
        told = false;
        return undefined;
      }
      since ??= now;
      if (told || now - since < afterMs) return undefined;
      told = true;
      const minutes = Math.round((now - since) / 60_000);
      const why = snapshot.error ? `: ${snapshot.error}` : '';
      return {
        title: 'Kestrel is offline',
        body: `This computer has not been connected to its pool for ${minutes} minutes${why}. It keeps trying.`,
      };
    },
  };
}
