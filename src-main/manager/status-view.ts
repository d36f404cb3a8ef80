import {
  MAX_WORKER_BODY,
  STATUS_COMMAND_CHARS,
  STATUS_CUT,
  STATUS_TAIL_CHARS,
  wireBytes,
  type StatusReply,
} from '../../shared/protocol/index.ts';
import type { JobTasks } from './core/job-tasks.ts';
import type { StoredTask } from './store.ts';
import { toJobStatus, toTaskFailure } from './wire.ts';

/**
 * `status` replies that always fit one stanza (docs/PROTOCOL.md, `status`). A reply that outgrew
 * the server's stanza limit made the server drop the manager's own connection: 20 jobs with
 * 4,000-character commands did it. Jobs are listed newest first while they fit, and `truncated`
 * counts the older ones left out; the cost is that of the jobs listed, not of all the user has.
 */

// Room for `{"type":"status","jobs":[],"truncated":10000000}` around the jobs.
const ENVELOPE = 64;

/** At most `max` UTF-16 units of `text`: its start (cut at the end) or its end. */
export function shorten(text: string, max: number, keep: 'start' | 'end'): string {
  if (text.length <= max) return text;
  const room = max - STATUS_CUT.length;
  if (keep === 'start') {
    // Never split a surrogate pair: a lone half would not survive UTF-8.
    const end = isHighSurrogate(text.charCodeAt(room - 1)) ? room - 1 : room;
    return text.slice(0, end) + STATUS_CUT;
  }
  const start = text.length - room;
  return STATUS_CUT + text.slice(isLowSurrogate(text.charCodeAt(start)) ? start + 1 : start);
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c < 0xdc00;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c < 0xe000;
const cost = (value: unknown) => wireBytes(JSON.stringify(value)) + 1;

/** Several jobs, oldest first as the owner submitted them: listed newest first while they fit. */
export function listReply(jobs: readonly JobTasks[], now: number, budget = MAX_WORKER_BODY) {
  const reply: StatusReply = { type: 'status', jobs: [] };
  let size = ENVELOPE;
  let i = jobs.length - 1;
  for (; i >= 0; i -= 1) {
    const job = jobs[i];
    if (!job) continue;
    const view = toJobStatus(
      job,
      now,
      shorten(job.info.spec.command, STATUS_COMMAND_CHARS, 'start'),
    );
    size += cost(view);
    if (size > budget) break;
    reply.jobs.push(view);
  }
  if (i >= 0) reply.truncated = i + 1;
  return reply;
}

/** One job with its whole command and as many of its first failures as fit. */
export function oneJobReply(
  job: JobTasks,
  now: number,
  failures: readonly StoredTask[],
  budget = MAX_WORKER_BODY,
): StatusReply {
  const view = toJobStatus(job, now, job.info.spec.command);
  view.failures = [];
  let size = ENVELOPE + cost(view);
  for (const t of failures) {
    const failure = toTaskFailure(
      t,
      shorten(t.error ?? t.stderrTail ?? '', STATUS_TAIL_CHARS, 'end'),
    );
    size += cost(failure);
    if (size > budget) break;
    view.failures.push(failure);
  }
  return { type: 'status', jobs: [view] };
}
