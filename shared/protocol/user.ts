/**
 * User <-> manager messages (seed 001): requests arrive as JSON or Python literals in chat
 * bodies, replies always leave as strict JSON.
 */
import { z } from 'zod';
import { parseObject, pickSchema, validate } from './decode.ts';
import {
  failure,
  USER_ERROR_CODES,
  type Decoded,
  type ProtocolError,
  type UserErrorCode,
} from './errors.ts';
import {
  commandLine,
  cores,
  count,
  FIELD_DESCRIPTIONS,
  jobId,
  ramMb,
  tagList,
  taskIndex,
  timeoutS,
  wholeNumber,
} from './fields.ts';
import { HELP_TEXT } from './help.ts';
import {
  MAX_BODY,
  MAX_FAILURES_LISTED,
  MAX_POOL_LISTED,
  MAX_QUEUE,
  MAX_REASON,
  MAX_REQUIRES,
  MAX_RETRIES,
  MAX_WORKER_BODY,
  TAIL_CHARS,
} from './limits.ts';

// Requests are strict: an unknown field is an error, so typos like 'requries' are caught.

export const jobRequestSchema = z.strictObject({
  type: z.literal('job'),
  command: commandLine,
  queue: wholeNumber(1, MAX_QUEUE),
  requires: tagList(MAX_REQUIRES).default([]),
  cleanup: commandLine.optional(),
  /** Absent: each task takes one slot of a worker and no cores (docs/PROTOCOL.md, slots). */
  cores: cores.optional(),
  ram: ramMb.default(0),
  retries: wholeNumber(0, MAX_RETRIES).default(0),
  /** Wall-clock seconds each task may run; a worker may stop it sooner (its own maximum). */
  timeout: timeoutS.optional(),
});
export const statusRequestSchema = z.strictObject({
  type: z.literal('status'),
  job_id: jobId.optional(),
});
export const cancelRequestSchema = z.strictObject({
  type: z.literal('cancel'),
  job_id: jobId.optional(),
});
export const helpRequestSchema = z.strictObject({ type: z.literal('help') });

const timestamp = z.iso.datetime({ offset: true });

/** Why a job's queued tasks are not running (its owner or an admin). */
export const whyRequestSchema = z.strictObject({ type: z.literal('why'), job_id: jobId });
/** The workers and their state, like condor_status (admins); `offset` pages through a big pool. */
export const poolRequestSchema = z.strictObject({
  type: z.literal('pool'),
  offset: wholeNumber(0, MAX_QUEUE).optional(),
});
/** Drop finished jobs from the manager's store (admins): seed 004's stats reset. */
export const purgeRequestSchema = z.strictObject({
  type: z.literal('purge'),
  finished_before: z.union([timestamp, z.iso.date()]),
});

export type JobRequest = z.output<typeof jobRequestSchema>;
export type StatusRequest = z.output<typeof statusRequestSchema>;
export type CancelRequest = z.output<typeof cancelRequestSchema>;
export type HelpRequest = z.output<typeof helpRequestSchema>;
export type WhyRequest = z.output<typeof whyRequestSchema>;
export type PoolRequest = z.output<typeof poolRequestSchema>;
export type PurgeRequest = z.output<typeof purgeRequestSchema>;
export type UserRequest =
  | JobRequest
  | StatusRequest
  | CancelRequest
  | HelpRequest
  | WhyRequest
  | PoolRequest
  | PurgeRequest;

// Replies are read leniently (unknown fields dropped) so older clients keep working.

export const jobStartedSchema = z.object({ type: z.literal('job_started'), job_id: jobId });
export const jobRejectedSchema = z.object({
  type: z.literal('job_rejected'),
  reason: z.string().max(MAX_REASON),
});
export const taskFailureSchema = z.object({
  index: taskIndex,
  exit_code: z.int().nullable(),
  signal: z.string().nullable(),
  stderr_tail: z.string().max(TAIL_CHARS),
});
export const jobStatusSchema = z.object({
  job_id: jobId,
  command: z.string(),
  queue: wholeNumber(1, MAX_QUEUE),
  state: z.enum(['running', 'finished', 'cancelled']),
  done: count,
  failed: count,
  cancelled: count,
  running: count,
  queued: count,
  submitted_at: timestamp,
  finished_at: timestamp.optional(),
  /** Estimated seconds until the job finishes. */
  eta_s: z.number().min(0).optional(),
  /** The first failed tasks; only when the request named one job_id. */
  failures: z.array(taskFailureSchema).max(MAX_FAILURES_LISTED).optional(),
});
export const statusReplySchema = z.object({
  type: z.literal('status'),
  /** Newest first. */
  jobs: z.array(jobStatusSchema),
  /** How many older jobs did not fit in this reply (absent when none was left out). */
  truncated: count.optional(),
});
export const cancelledReplySchema = z.object({
  type: z.literal('cancelled'),
  job_ids: z.array(jobId),
  /** How many tasks were cancelled. */
  tasks: count,
});
export const jobFinishedSchema = z.object({
  type: z.literal('job_finished'),
  job_id: jobId,
  done: count,
  failed: count,
  cancelled: count,
});
export const errorReplySchema = z.object({
  type: z.literal('error'),
  code: z.enum(USER_ERROR_CODES),
  reason: z.string().max(MAX_REASON),
  help: z.string().optional(),
});
export const helpReplySchema = z.object({ type: z.literal('help'), text: z.string() });
export const whyReplySchema = z.object({
  type: z.literal('why'),
  job_id: jobId,
  queued: count,
  running: count,
  /** Workers that could run the job: they provide every tag and are big enough. */
  matching: count,
  /** Most decisive first; empty when nothing holds the job back. */
  reasons: z.array(z.string().max(MAX_REASON)).max(MAX_REQUIRES + 1),
});
export const WORKER_STATES = ['available', 'busy', 'paused', 'unresponsive', 'reporting'] as const;
export const poolWorkerSchema = z.object({
  jid: z.string(),
  state: z.enum(WORKER_STATES),
  os: z.string().optional(),
  ram: count.optional(),
  cores: count.optional(),
  slots: count.optional(),
  provides: z.array(z.string()),
  /** Tasks it runs now. */
  running: count,
});
export const poolCountersSchema = z.object({
  workers: count,
  available: count,
  busy: count,
  paused: count,
  unresponsive: count,
  reporting: count,
  slots: count,
  slots_used: count,
  queued: count,
  running: count,
  active_jobs: count,
  finished_jobs: count,
});
export const poolReplySchema = z.object({
  type: z.literal('pool'),
  counters: poolCountersSchema,
  /** Sorted by JID, from `offset`; as many as fit one stanza (MAX_POOL_LISTED at most). */
  workers: z.array(poolWorkerSchema).max(MAX_POOL_LISTED),
  total: count,
  offset: count,
  /** Present when more workers follow: ask again with this offset. */
  next_offset: count.optional(),
});
export const purgedReplySchema = z.object({
  type: z.literal('purged'),
  /** How many finished jobs were dropped. */
  jobs: count,
});

export type JobStarted = z.output<typeof jobStartedSchema>;
export type JobRejected = z.output<typeof jobRejectedSchema>;
export type TaskFailure = z.output<typeof taskFailureSchema>;
export type JobStatus = z.output<typeof jobStatusSchema>;
export type StatusReply = z.output<typeof statusReplySchema>;
export type CancelledReply = z.output<typeof cancelledReplySchema>;
export type JobFinished = z.output<typeof jobFinishedSchema>;
export type ErrorReply = z.output<typeof errorReplySchema>;
export type HelpReply = z.output<typeof helpReplySchema>;
export type WhyReply = z.output<typeof whyReplySchema>;
export type PoolWorker = z.output<typeof poolWorkerSchema>;
export type PoolCountersWire = z.output<typeof poolCountersSchema>;
export type PoolReply = z.output<typeof poolReplySchema>;
export type PurgedReply = z.output<typeof purgedReplySchema>;
export type UserReply =
  | JobStarted
  | JobRejected
  | StatusReply
  | CancelledReply
  | JobFinished
  | ErrorReply
  | HelpReply
  | WhyReply
  | PoolReply
  | PurgedReply;

// A Map, not an object literal: a 'type' such as 'constructor' must not find Object.prototype.
const REQUESTS = new Map<string, UserRequestSchema>([
  ['job', jobRequestSchema],
  ['status', statusRequestSchema],
  ['cancel', cancelRequestSchema],
  ['why', whyRequestSchema],
  ['pool', poolRequestSchema],
  ['purge', purgeRequestSchema],
  ['help', helpRequestSchema],
]);
type UserRequestSchema =
  | typeof jobRequestSchema
  | typeof statusRequestSchema
  | typeof cancelRequestSchema
  | typeof helpRequestSchema
  | typeof whyRequestSchema
  | typeof poolRequestSchema
  | typeof purgeRequestSchema;

const REPLIES = new Map<string, UserReplySchema>([
  ['job_started', jobStartedSchema],
  ['job_rejected', jobRejectedSchema],
  ['status', statusReplySchema],
  ['cancelled', cancelledReplySchema],
  ['job_finished', jobFinishedSchema],
  ['error', errorReplySchema],
  ['help', helpReplySchema],
  ['why', whyReplySchema],
  ['pool', poolReplySchema],
  ['purged', purgedReplySchema],
]);
type UserReplySchema =
  | typeof jobStartedSchema
  | typeof jobRejectedSchema
  | typeof statusReplySchema
  | typeof cancelledReplySchema
  | typeof jobFinishedSchema
  | typeof errorReplySchema
  | typeof helpReplySchema
  | typeof whyReplySchema
  | typeof poolReplySchema
  | typeof purgedReplySchema;

/** Decodes a chat body sent to the manager. Never throws. */
export function decodeUserRequest(body: string): Decoded<UserRequest, UserErrorCode> {
  if (body.length > MAX_BODY) {
    return failure(
      'too_large',
      `message is ${body.length} characters long; the limit is ${MAX_BODY}`,
    );
  }
  if (body.trim().toLowerCase() === 'help') return { ok: true, message: { type: 'help' } };
  const parsed = parseObject(body, MAX_BODY, "{'type':'status'}");
  if (!parsed.ok) return parsed;
  const schema = pickSchema(parsed.message, REQUESTS);
  if (!schema.ok) return schema;
  return validate(schema.message, parsed.message, FIELD_DESCRIPTIONS);
}

/** Decodes a manager's reply (for the CLI and other clients). Never throws. */
export function decodeUserReply(body: string): Decoded<UserReply, UserErrorCode> {
  const parsed = parseObject(body, MAX_WORKER_BODY, `{"type":"job_started","job_id":1}`);
  if (!parsed.ok) return parsed;
  const schema = pickSchema(parsed.message, REPLIES);
  if (!schema.ok) return schema;
  return validate(schema.message, parsed.message, FIELD_DESCRIPTIONS);
}

/** The codes whose reply carries the help text: the sender probably did not mean a command. */
const HELP_CODES: ReadonlySet<UserErrorCode> = new Set([
  'bad_syntax',
  'not_an_object',
  'unknown_type',
]);

export function errorReply(
  error: ProtocolError<UserErrorCode>,
  withHelp = HELP_CODES.has(error.code),
): ErrorReply {
  const reply: ErrorReply = { type: 'error', code: error.code, reason: error.reason };
  if (withHelp) reply.help = HELP_TEXT;
  return reply;
}

export function helpReply(): HelpReply {
  return { type: 'help', text: HELP_TEXT };
}
