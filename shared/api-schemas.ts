// Runtime validators for the arguments of every API method (shared/api.ts), used wherever
// arguments cross a process boundary (the head node's HTTP API, Electron's ipcMain handlers) and
// by the renderer's submit form, so a job is checked by exactly the rules of the chat protocol's
// `job` request. Pure: zod and shared/protocol only.
import { z } from 'zod';
import { validate, type BodyObject } from './protocol/decode.ts';
import type { Decoded } from './protocol/errors.ts';
import { FIELD_DESCRIPTIONS, jobId } from './protocol/fields.ts';
import { jobRequestSchema } from './protocol/user.ts';
import { PAGE_MAX, type ApiArgs, type ApiMethod } from './api.ts';
import { settingsFields } from './volunteer-settings.ts';

/** The `job` request without its `type`: what the submit pane sends to `jobs:submit`. */
export const jobInputSchema = jobRequestSchema.omit({ type: true });

const pageFields = {
  after: z
    .string()
    .regex(/^\d{1,9}$/)
    .optional(),
  limit: z.int().min(1).max(PAGE_MAX).optional(),
};
const page = z.strictObject(pageFields);
const epochMs = z.int().min(0).max(8.64e15);

/** Any subset of the volunteer's settings, by the worker's own ranges. */
export const settingsPatchSchema = z.strictObject(settingsFields).partial();

const joinByLink = z.strictObject({ link: z.string().min(1).max(4096) });
const joinByHand = z.strictObject({
  server: z.string().min(1).max(1024),
  jid: z.string().min(3).max(3071).includes('@'),
  password: z.string().min(1).max(1024),
  manager: z.string().min(3).max(3071).includes('@'),
  pin: z.string().max(128).optional(),
});

/** Each method's arguments, one object schema per position. */
export const API_ARG_SCHEMAS: { [M in ApiMethod]: readonly z.ZodObject[] } = {
  'app:info': [],
  'volunteer:get-state': [],
  'volunteer:set-settings': [settingsPatchSchema],
  'volunteer:pause': [z.strictObject({ mode: settingsFields.pauseMode.optional() })],
  'volunteer:resume': [],
  'volunteer:history': [page],
  // A union is not an object schema; 'link' decides which of the two applies (see parseArgs).
  'volunteer:join': [joinByLink],
  'jobs:submit': [jobInputSchema],
  'jobs:list': [page],
  'jobs:get': [z.strictObject({ jobId })],
  'jobs:cancel': [z.strictObject({ jobId: jobId.optional() })],
  'jobs:why': [z.strictObject({ jobId })],
  'jobs:purge': [z.strictObject({ finishedBefore: epochMs })],
  'pool:summary': [],
  'pool:workers': [z.strictObject({ ...pageFields, search: z.string().max(256).optional() })],
};

const DESCRIPTIONS = {
  ...FIELD_DESCRIPTIONS,
  jobId: FIELD_DESCRIPTIONS.job_id ?? 'a job number',
  after: 'a cursor from a previous page',
  limit: `a whole number from 1 to ${PAGE_MAX}`,
  finishedBefore: 'a time in epoch milliseconds',
};

/**
 * Checks a call's arguments as received (parsed JSON of unknown shape). On success the values
 * have their defaults filled in (a job's `ram` is 0 when left out).
 */
export function parseArgs<M extends ApiMethod>(
  method: M,
  args: unknown,
): Decoded<ApiArgs<M>, 'invalid_field'> {
  if (!Array.isArray(args))
    return { ok: false, error: { code: 'invalid_field', reason: 'arguments must be a list' } };
  const schemas =
    method === 'volunteer:join' && !isObjectWith(args[0], 'link')
      ? [joinByHand]
      : API_ARG_SCHEMAS[method];
  // Optional trailing arguments: a page request may be left out entirely.
  if (args.length > schemas.length) {
    const reason = `${method} takes ${schemas.length} argument${schemas.length === 1 ? '' : 's'}, got ${args.length}`;
    return { ok: false, error: { code: 'invalid_field', reason } };
  }
  const out: unknown[] = [];
  for (const [i, schema] of schemas.entries()) {
    const value: unknown = args[i] ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const reason = `argument ${i + 1} of ${method} must be an object`;
      return { ok: false, error: { code: 'invalid_field', reason } };
    }
    const checked = validate(schema, value as BodyObject, DESCRIPTIONS);
    if (!checked.ok) return checked;
    out.push(checked.message);
  }
  return { ok: true, message: out as ApiArgs<M> };
}

function isObjectWith(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, key);
}

/** The field a job input is wrong in, and why: for the submit form to mark that field. */
export function checkJobInput(
  input: Record<string, unknown>,
):
  | { ok: true; value: z.output<typeof jobInputSchema> }
  | { ok: false; field: string; reason: string } {
  const result = jobInputSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const checked = validate(jobInputSchema, input, DESCRIPTIONS);
  const issue = result.error.issues[0];
  const field =
    issue?.code === 'unrecognized_keys' ? (issue.keys[0] ?? '') : String(issue?.path[0] ?? '');
  return { ok: false, field, reason: checked.ok ? 'invalid' : checked.error.reason };
}
