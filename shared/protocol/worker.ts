/**
 * Worker <-> manager messages, protocol v1 (docs/PROTOCOL.md). Every message carries v: 1.
 * Unknown fields are ignored (dropped), so a v1 peer may add optional fields without breaking
 * older ones; a change an older peer cannot safely ignore needs a new version.
 */
import { z } from 'zod';
import { parseObject, pickSchema, show, validate, type BodyObject } from './decode.ts';
import type { Decoded, ProtocolError } from './errors.ts';
import {
  attempt,
  commandLine,
  cores,
  describeTags,
  FIELD_DESCRIPTIONS,
  jobId,
  ramMb,
  tagList,
  taskIndex,
  timeoutS,
  wholeNumber,
} from './fields.ts';
import {
  MAX_BATCH,
  MAX_JID,
  MAX_PROVIDES,
  MAX_REASON,
  MAX_WORKER_BODY,
  PROTOCOL_VERSION,
  TAIL_CHARS,
} from './limits.ts';

const version = z.literal(PROTOCOL_VERSION);
const batch = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(MAX_BATCH);
const tail = z.string().max(TAIL_CHARS);

/** Names one attempt of one task. */
export const taskRefSchema = z.object({ job_id: jobId, index: taskIndex, attempt });

export const taskSpecSchema = z.object({
  job_id: jobId,
  index: taskIndex,
  attempt,
  /** Run as COMMAND INDEX. */
  command: commandLine,
  cleanup: commandLine.optional(),
  cores,
  ram: ramMb,
  /** The job's wall-clock limit per task, in seconds. */
  timeout: timeoutS.optional(),
  /** Bare JID of whoever submitted the job, so the worker's owner can see and block them. */
  owner: z.string().min(3).max(MAX_JID).optional(),
});

export const taskResultSchema = z.object({
  job_id: jobId,
  index: taskIndex,
  attempt,
  /** Null when the process was killed by a signal or never started. */
  exit_code: z.int().nullable(),
  /** Signal name such as 'SIGKILL', or null. */
  signal: z.string().min(1).max(32).nullable(),
  duration_ms: z.number().min(0),
  stdout_tail: tail,
  stderr_tail: tail,
  /** Why the command could not run (spawn failure etc.). */
  error: tail.optional(),
});

export const profileSchema = z.object({
  type: z.literal('profile'),
  v: version,
  os: z.string().min(1).max(256),
  ram: ramMb,
  cores,
  provides: tagList(MAX_PROVIDES),
  /** How many tasks the worker runs at once. */
  slots: wholeNumber(1, MAX_BATCH),
  /**
   * How many tasks it takes beyond its free slots, queued and started in order as slots free
   * (absent: none; a worker that runs whatever it gets must not be sent more than its slots).
   */
  prefetch: wholeNumber(0, MAX_BATCH).optional(),
  /** The tasks it is running right now, for reconciliation after a reconnect. */
  running: z.array(taskRefSchema).max(MAX_BATCH),
  /**
   * Sent while connected to change what the worker offers (its slots): the manager takes the new
   * capacity and does not reconcile `running`, which may miss tasks still on their way.
   */
  update: z.boolean().optional(),
});
/** Why a worker gives tasks back unfinished (docs/PROTOCOL.md, `return_tasks`). */
export const RETURN_REASONS = ['blocked', 'suspended'] as const;
export const returnTasksSchema = z.object({
  type: z.literal('return_tasks'),
  v: version,
  reason: z.enum(RETURN_REASONS),
  tasks: batch(taskRefSchema),
});
export const taskResultsSchema = z.object({
  type: z.literal('task_results'),
  v: version,
  results: batch(taskResultSchema),
});
export const tasksSchema = z.object({
  type: z.literal('tasks'),
  v: version,
  tasks: batch(taskSpecSchema),
});
export const cancelTasksSchema = z.object({
  type: z.literal('cancel_tasks'),
  v: version,
  tasks: batch(taskRefSchema),
});
export const ackSchema = z.object({
  type: z.literal('ack'),
  v: version,
  results: batch(taskRefSchema),
});
/** Asks a worker to resend its unacked results and its profile (the manager had given it up). */
export const resyncSchema = z.object({
  type: z.literal('resync'),
  v: version,
});
/** Either direction. Read whatever its version and code, so errors are always understood. */
export const errorMessageSchema = z.object({
  type: z.literal('error'),
  v: z.int().min(1),
  code: z.string().min(1).max(64),
  reason: z.string().max(MAX_REASON),
});

export type TaskRef = z.output<typeof taskRefSchema>;
export type TaskSpec = z.output<typeof taskSpecSchema>;
export type TaskResult = z.output<typeof taskResultSchema>;
export type ProfileMessage = z.output<typeof profileSchema>;
export type ReturnTasksMessage = z.output<typeof returnTasksSchema>;
export type ReturnReason = ReturnTasksMessage['reason'];
export type TaskResultsMessage = z.output<typeof taskResultsSchema>;
export type TasksMessage = z.output<typeof tasksSchema>;
export type CancelTasksMessage = z.output<typeof cancelTasksSchema>;
export type AckMessage = z.output<typeof ackSchema>;
export type ResyncMessage = z.output<typeof resyncSchema>;
export type ErrorMessage = z.output<typeof errorMessageSchema>;
/** What a manager receives from a worker. */
export type WorkerMessage = ProfileMessage | TaskResultsMessage | ReturnTasksMessage | ErrorMessage;
/** What a worker receives from a manager. */
export type ManagerMessage =
  TasksMessage | CancelTasksMessage | AckMessage | ResyncMessage | ErrorMessage;

const WORKER_FIELDS = {
  ...FIELD_DESCRIPTIONS,
  v: `the protocol version ${PROTOCOL_VERSION}`,
  os: 'the name of the operating system (1 to 256 characters)',
  provides: describeTags(MAX_PROVIDES),
  slots: `a whole number from 1 to ${MAX_BATCH}`,
  prefetch: `a whole number from 0 to ${MAX_BATCH}`,
  running: `a list of at most ${MAX_BATCH} task references`,
  results: `a list of 1 to ${MAX_BATCH} entries`,
  tasks: `a list of 1 to ${MAX_BATCH} entries`,
  exit_code: 'a whole number or null',
  signal: "a signal name such as 'SIGKILL' or null",
  duration_ms: 'a number of milliseconds, at least 0',
  stdout_tail: `a string of at most ${TAIL_CHARS} characters`,
  stderr_tail: `a string of at most ${TAIL_CHARS} characters`,
  error: `a string of at most ${TAIL_CHARS} characters`,
  owner: `a bare JID of at most ${MAX_JID} characters`,
  update: 'true or false',
  reason: `one of ${RETURN_REASONS.join(', ')}, or for an error a string of at most ${MAX_REASON} characters`,
  code: 'an error code such as invalid_field',
};

type WorkerSchema =
  | typeof profileSchema
  | typeof taskResultsSchema
  | typeof returnTasksSchema
  | typeof errorMessageSchema;
type ManagerSchema =
  | typeof tasksSchema
  | typeof cancelTasksSchema
  | typeof ackSchema
  | typeof resyncSchema
  | typeof errorMessageSchema;

const FROM_WORKER = new Map<string, WorkerSchema>([
  ['profile', profileSchema],
  ['task_results', taskResultsSchema],
  ['return_tasks', returnTasksSchema],
  ['error', errorMessageSchema],
]);
const FROM_MANAGER = new Map<string, ManagerSchema>([
  ['tasks', tasksSchema],
  ['cancel_tasks', cancelTasksSchema],
  ['ack', ackSchema],
  ['resync', resyncSchema],
  ['error', errorMessageSchema],
]);

/** Decodes a body a manager received from a worker. Never throws. */
export function decodeWorkerMessage(body: string): Decoded<WorkerMessage> {
  return decodeFrom(body, FROM_WORKER, "{'type':'profile', 'v':1, ...}");
}

/** Decodes a body a worker received from its manager. Never throws. */
export function decodeManagerMessage(body: string): Decoded<ManagerMessage> {
  return decodeFrom(body, FROM_MANAGER, "{'type':'tasks', 'v':1, ...}");
}

function decodeFrom<S extends WorkerSchema | ManagerSchema>(
  body: string,
  schemas: ReadonlyMap<string, S>,
  example: string,
): Decoded<z.output<S>> {
  const parsed = parseObject(body, MAX_WORKER_BODY, example, true);
  if (!parsed.ok) return parsed;
  const object = parsed.message;
  // The version comes before the type: a newer peer may send types we have never heard of.
  if (object.type !== 'error') {
    const unsupported = checkVersion(object);
    if (unsupported !== undefined) return { ok: false, error: unsupported };
  }
  const schema = pickSchema(object, schemas);
  if (!schema.ok) return schema;
  return validate(schema.message, object, WORKER_FIELDS);
}

function checkVersion(object: BodyObject): ProtocolError | undefined {
  const speaks = `this side speaks protocol version ${PROTOCOL_VERSION}`;
  if (!Object.hasOwn(object, 'v')) {
    return { code: 'unsupported_version', reason: `missing field 'v': ${speaks}` };
  }
  if (object.v === PROTOCOL_VERSION) return undefined;
  return {
    code: 'unsupported_version',
    reason: `unsupported version ${show(object.v)}: ${speaks}`,
  };
}

/** The error message to send back for a body that could not be decoded. */
export function errorMessage(error: ProtocolError): ErrorMessage {
  return { type: 'error', v: PROTOCOL_VERSION, code: error.code, reason: error.reason };
}
