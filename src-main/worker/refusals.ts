import { createRateLimiter } from '../manager/rate-limit.ts';
import type { Logger } from '../common/log.ts';

/**
 * Messages from JIDs that are not this worker's manager: refused, but cheaply. Answering and
 * logging each one let any account make a worker send 20,000 refusals in 2 s and write 2.5 MB of
 * log. A few answers a second (all senders together) tell a lost person what is wrong; past that
 * the worker is silent, and the log gets one summary line per interval.
 */

export interface RefusalOptions {
  log: Logger;
  /** Sends the refusal; failures are the sender's concern (it may have gone). */
  answer: (to: string) => void;
  now?: () => number;
  /** Answers at once and per second, over all senders (default 5 and 2). */
  burst?: number;
  perSecond?: number;
  /** How often the summary is logged while refusals go on (default 10 s). */
  summaryMs?: number;
}

export interface Refusals {
  refuse(from: string): void;
  /** Logs what is pending and stops the summary timer. */
  stop(): void;
}

/** Distinct senders are counted up to this many per interval, so memory stays bounded. */
const MAX_COUNTED_SENDERS = 10_000;

export function createRefusals(options: RefusalOptions): Refusals {
  const { log, answer } = options;
  const now = options.now ?? Date.now;
  const summaryMs = options.summaryMs ?? 10_000;
  const limiter = createRateLimiter({
    burst: options.burst ?? 5,
    perSecond: options.perSecond ?? 2,
    now,
  });
  let refused = 0;
  let answered = 0;
  const senders = new Set<string>();
  let since = 0;
  let timer: NodeJS.Timeout | undefined;

  function summary(): void {
    timer = undefined;
    // A lone refusal was logged when it came.
    if (refused > 1) {
      const who = senders.size >= MAX_COUNTED_SENDERS ? `at least ${senders.size}` : senders.size;
      const seconds = Math.max(1, Math.round((now() - since) / 1000));
      log.warn(
        `refused ${refused} messages from ${who} JIDs that are not our manager in the last ${seconds} s`,
        { answered, example: senders.values().next().value },
      );
    }
    refused = 0;
    answered = 0;
    senders.clear();
  }

  return {
    refuse(from) {
      if (refused === 0) {
        since = now();
        log.warn('refused a message from a JID that is not our manager', {
          from,
          more: `counted and logged every ${Math.round(summaryMs / 1000)} s`,
        });
      }
      refused += 1;
      if (senders.size < MAX_COUNTED_SENDERS) senders.add(from);
      if (limiter.take('all')) {
        answered += 1;
        answer(from);
      }
      if (timer === undefined) {
        timer = setTimeout(summary, summaryMs);
        // A worker with nothing else to do must still be able to exit.
        timer.unref();
      }
    },
    stop() {
      clearTimeout(timer);
      summary();
    },
  };
}
