/** Field schemas used by both user and worker messages, with how each is described to people. */
import { z } from 'zod';
import type { FieldDescriptions } from './decode.ts';
import {
  MAX_COMMAND,
  MAX_CORES,
  MAX_QUEUE,
  MAX_RAM_MB,
  MAX_REQUIRES,
  MAX_RETRIES,
  MAX_TIMEOUT_S,
  TAG_RE,
} from './limits.ts';

/** z.int() also keeps numbers within the safe integer range. */
export const wholeNumber = (min: number, max: number) => z.int().min(min).max(max);

export const jobId = z.int().min(1);
export const taskIndex = wholeNumber(0, MAX_QUEUE - 1);
export const attempt = z.int().min(1);
export const count = z.int().min(0);
export const cores = wholeNumber(1, MAX_CORES);
export const ramMb = wholeNumber(0, MAX_RAM_MB);
/** Wall-clock seconds a task may run before it is stopped. */
export const timeoutS = wholeNumber(1, MAX_TIMEOUT_S);

/** Not blank, and no NUL, which no process can receive in an argument. */
export const commandLine = z
  .string()
  .min(1)
  .max(MAX_COMMAND)
  .refine((s) => s.trim() !== '' && !s.includes('\0'));

/** A list of tags; duplicates are dropped, first occurrence kept. */
export const tagList = (max: number) =>
  z
    .array(z.string().regex(TAG_RE))
    .max(max)
    .transform((tags) => [...new Set(tags)]);

/** How a tag list field is explained in reasons. */
export const describeTags = (max: number): string =>
  `a list of at most ${max} tags like 'linux' or 'gpu' (each up to 64 letters, digits, _ . + -)`;

export const FIELD_DESCRIPTIONS: FieldDescriptions = {
  command: `a non-blank command line of at most ${MAX_COMMAND} characters`,
  cleanup: `a non-blank command line of at most ${MAX_COMMAND} characters`,
  queue: `a whole number from 1 to ${MAX_QUEUE}`,
  requires: describeTags(MAX_REQUIRES),
  cores: `a whole number from 1 to ${MAX_CORES}`,
  ram: `a whole number of MB from 0 to ${MAX_RAM_MB}`,
  retries: `a whole number from 0 to ${MAX_RETRIES}`,
  timeout: `a whole number of seconds from 1 to ${MAX_TIMEOUT_S}`,
  job_id: 'a job number (a whole number of at least 1)',
  offset: `a whole number from 0 to ${MAX_QUEUE}`,
  finished_before: "an ISO 8601 time such as '2025-01-31T00:00:00Z' or a date such as '2025-01-31'",
  index: `a task index (a whole number from 0 to ${MAX_QUEUE - 1})`,
  attempt: 'an attempt number (a whole number of at least 1)',
};
