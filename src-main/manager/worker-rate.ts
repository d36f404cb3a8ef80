import { MAX_WORKER_BODY } from '../../shared/protocol/index.ts';
import type { Logger } from '../common/log.ts';
import { createRateLimiter } from './rate-limit.ts';

/**
 * Worker traffic per worker JID: a token bucket on messages and one on their size, checked before
 * a body is parsed. One account sending 53 large `task_results` a second slowed every other
 * user's replies 90×. What is dropped is not lost: a worker keeps every result until it is acked,
 * so once its buckets have refilled the JID is sent `resync` and resends them with its profile.
 * While a JID waits for that, all its worker messages are dropped, so a profile can never overtake
 * the results it follows (docs/PROTOCOL.md, delivery).
 */

export interface WorkerRateLimits {
  /** Messages one worker JID may send per second, and at once. */
  messagesPerSecond: number;
  messageBurst: number;
  /**
   * Body size one worker JID may send per second, and at once, counted in characters: what is
   * known without encoding the body (a character is one to three UTF-8 bytes).
   */
  bytesPerSecond: number;
  byteBurst: number;
}

/**
 * Generous for a real worker, tight for a flood. The manager records about 8,000 tasks/s on two
 * cores (docs/BENCHMARKS.md); a result with small tails is ~250 bytes, so 1 MiB/s lets one worker
 * report 4,000 tasks/s, or 120/s with full 4 KiB stdout and stderr tails. A worker batches the
 * results that end together into one message (up to 1,000), and a batch costs one message token:
 * 2,000 messages/s is more than a 1,000-slot worker sends even one result at a time. The bursts
 * hold a reconnecting 1,000-slot worker's resend of full-tail results (8 MB).
 */
export const DEFAULT_WORKER_RATE: WorkerRateLimits = {
  messagesPerSecond: 2_000,
  messageBurst: 10_000,
  bytesPerSecond: 1024 * 1024,
  byteBurst: 8 * 1024 * 1024,
};

/**
 * The rates a configuration sets, the defaults for the rest; bursts follow the rates (5 s of
 * messages, 8 s of bytes), and a burst always holds two of the largest bodies.
 */
export function workerRateOf(config: {
  workerMessagesPerSecond?: number;
  workerBytesPerSecond?: number;
}): WorkerRateLimits {
  const messagesPerSecond = config.workerMessagesPerSecond ?? DEFAULT_WORKER_RATE.messagesPerSecond;
  const bytesPerSecond = config.workerBytesPerSecond ?? DEFAULT_WORKER_RATE.bytesPerSecond;
  return {
    messagesPerSecond,
    messageBurst: Math.max(2, messagesPerSecond * 5),
    bytesPerSecond,
    byteBurst: Math.max(2 * MAX_WORKER_BODY, bytesPerSecond * 8),
  };
}

export interface WorkerRate {
  /** True if a worker message of `size` characters from `jid` may be handled now. */
  admit(jid: string, size: number): boolean;
  /** JIDs whose dropped messages can be taken again: send each `resync`, once. */
  resyncDue(): string[];
}

export function createWorkerRate(
  limits: WorkerRateLimits,
  now: () => number,
  log: Logger,
): WorkerRate {
  const messages = createRateLimiter({
    burst: limits.messageBurst,
    perSecond: limits.messagesPerSecond,
    now,
  });
  const bytes = createRateLimiter({
    burst: limits.byteBurst,
    perSecond: limits.bytesPerSecond,
    now,
  });
  /** JIDs some of whose messages were dropped: what was dropped since, for the summary. */
  const owed = new Map<string, { messages: number; bytes: number; since: number }>();

  return {
    admit(jid, size) {
      const debt = owed.get(jid);
      if (debt === undefined && messages.take(jid) && bytes.take(jid, size)) return true;
      if (debt) {
        debt.messages += 1;
        debt.bytes += size;
        return false;
      }
      owed.set(jid, { messages: 1, bytes: size, since: now() });
      log.warn('worker traffic over its rate limit; dropping it until the worker resyncs', {
        worker: jid,
        limit: `${limits.messagesPerSecond} messages and ${limits.bytesPerSecond} bytes a second`,
      });
      return false;
    },
    resyncDue() {
      const due: string[] = [];
      for (const [jid, debt] of owed) {
        // Half full: the resend and what follows it fit without tripping the limit again at once.
        if (messages.available(jid) < limits.messageBurst / 2) continue;
        if (bytes.available(jid) < limits.byteBurst / 2) continue;
        owed.delete(jid);
        due.push(jid);
        log.info('asking a rate-limited worker to resync', {
          worker: jid,
          dropped_messages: debt.messages,
          dropped_bytes: debt.bytes,
          over_ms: now() - debt.since,
        });
      }
      return due;
    },
  };
}
