// Hostile input for the codecs, beyond properties.test.ts (which feeds arbitrary strings, JSON and
// near-miss user requests): well-formed objects of every known type with arbitrary field values,
// near-miss worker messages, keys that could pollute prototypes, and bodies around the size limits.
// For each, every decoder gives a valid message or a clear error, and never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ERROR_CODES, type Decoded } from '../../../../shared/protocol/errors.ts';
import { MAX_BODY, MAX_WORKER_BODY, TAG_RE } from '../../../../shared/protocol/limits.ts';
import { decodeUserReply, decodeUserRequest } from '../../../../shared/protocol/user.ts';
import {
  decodeManagerMessage,
  decodeWorkerMessage,
  type ManagerMessage,
  type WorkerMessage,
} from '../../../../shared/protocol/worker.ts';

const DECODERS: Record<string, (body: string) => Decoded<unknown>> = {
  decodeUserRequest,
  decodeUserReply,
  decodeWorkerMessage,
  decodeManagerMessage,
};

/** Total, and an error is one of ours, short, and names a field when a field is at fault. */
function assertClear(body: string): void {
  for (const [name, decode] of Object.entries(DECODERS)) {
    let decoded: Decoded<unknown>;
    try {
      decoded = decode(body);
    } catch (error) {
      throw new Error(`${name} threw on ${JSON.stringify(body.slice(0, 200))}`, { cause: error });
    }
    if (decoded.ok) {
      expect(typeof decoded.message).toBe('object');
      continue;
    }
    const { code, reason } = decoded.error;
    expect(ERROR_CODES).toContain(code);
    expect(reason.length).toBeGreaterThan(0);
    expect(reason.length).toBeLessThan(400);
    if (code === 'invalid_field') expect(reason).toMatch(/field|'/);
  }
}

const TYPES = [
  'job',
  'status',
  'cancel',
  'help',
  'profile',
  'task_results',
  'tasks',
  'cancel_tasks',
  'ack',
  'resync',
  'error',
  'job_started',
  'job_finished',
];
const FIELDS = [
  'command',
  'queue',
  'requires',
  'cleanup',
  'cores',
  'ram',
  'retries',
  'job_id',
  'index',
  'attempt',
  'os',
  'provides',
  'slots',
  'running',
  'results',
  'tasks',
  'exit_code',
  'signal',
  'duration_ms',
  'stdout_tail',
  'stderr_tail',
  'code',
  'reason',
  'jobs',
  '__proto__',
  'constructor',
];

/** Values of every JSON type, including the edges of each field's range. */
const edgy = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    1.5,
    2 ** 53,
    -(2 ** 53),
    1e308,
    10_000_000,
    10_000_001,
    1000,
    1001,
  ),
  fc.constantFrom('', ' ', '\0', 'GPU; rm -rf ~', '$(id)', '-rf', 'x'.repeat(5000), '\ud800'),
  fc.array(fc.stringMatching(TAG_RE), { maxLength: 300 }),
);
const ref = fc.record({ job_id: edgy, index: edgy, attempt: edgy });

/** An object of a known type, with v 1 most of the time, and fields drawn from FIELDS. */
const typedObject = fc
  .tuple(
    fc.constantFrom(...TYPES),
    fc.oneof(fc.constant(1), edgy, fc.constant(undefined)),
    fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(edgy, fc.array(ref, { maxLength: 3 }))),
  )
  .map(([type, v, fields]) => ({ ...fields, type, ...(v === undefined ? {} : { v }) }));

const validWorker: fc.Arbitrary<WorkerMessage | ManagerMessage> = (() => {
  const wholeRef = fc.record({
    job_id: fc.integer({ min: 1, max: 2 ** 40 }),
    index: fc.integer({ min: 0, max: 9_999_999 }),
    attempt: fc.integer({ min: 1, max: 1000 }),
  });
  const tail = fc.string({ maxLength: 300 });
  const result = fc.record({
    job_id: fc.integer({ min: 1, max: 2 ** 40 }),
    index: fc.integer({ min: 0, max: 9_999_999 }),
    attempt: fc.integer({ min: 1, max: 1000 }),
    exit_code: fc.oneof(fc.integer({ min: -255, max: 255 }), fc.constant(null)),
    signal: fc.oneof(fc.constantFrom('SIGKILL', 'SIGTERM'), fc.constant(null)),
    duration_ms: fc.double({ min: 0, max: 1e9, noNaN: true }),
    stdout_tail: tail,
    stderr_tail: tail,
  });
  return fc.oneof(
    fc.record({
      type: fc.constant('profile' as const),
      v: fc.constant(1 as const),
      os: fc.string({ minLength: 1, maxLength: 40 }),
      ram: fc.integer({ min: 0, max: 16_777_216 }),
      cores: fc.integer({ min: 1, max: 1024 }),
      provides: fc.uniqueArray(fc.stringMatching(TAG_RE), { maxLength: 10 }),
      slots: fc.integer({ min: 1, max: 1000 }),
      running: fc.array(wholeRef, { maxLength: 5 }),
    }),
    fc.record({
      type: fc.constant('task_results' as const),
      v: fc.constant(1 as const),
      results: fc.array(result, { minLength: 1, maxLength: 5 }),
    }),
    fc.record({
      type: fc.constantFrom('cancel_tasks' as const),
      v: fc.constant(1 as const),
      tasks: fc.array(wholeRef, { minLength: 1, maxLength: 5 }),
    }),
    fc.record({ type: fc.constant('resync' as const), v: fc.constant(1 as const) }),
  );
})();

const OBJECT_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
const ARRAY_KEYS = Object.getOwnPropertyNames(Array.prototype).sort();

const SPICE = ['"', '{', '}', '[', ']', ',', ':', '-', '0', 'e', '\\', 'null', '1e999', ' '];
const mutation = fc.tuple(fc.nat(), fc.constantFrom(...SPICE), fc.boolean());
function mutate(text: string, edits: [number, string, boolean][]): string {
  let out = text;
  for (const [n, spice, replace] of edits) {
    const at = out.length === 0 ? 0 : n % out.length;
    out = out.slice(0, at) + spice + out.slice(at + (replace ? 1 : 0));
  }
  return out;
}

describe('decoders stay total and clear on hostile input', () => {
  it('for objects of every known type with arbitrary field values', () => {
    fc.assert(
      fc.property(typedObject, (o) => assertClear(JSON.stringify(o))),
      { numRuns: 2000 },
    );
  });

  it('for near-miss worker and manager messages', () => {
    fc.assert(
      fc.property(validWorker, fc.array(mutation, { minLength: 1, maxLength: 3 }), (m, edits) =>
        assertClear(mutate(JSON.stringify(m), edits)),
      ),
      { numRuns: 2000 },
    );
  });

  it('for prototype keys at any depth, without polluting Object.prototype', () => {
    const key = fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
    );
    const nest = fc.array(key, { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        nest,
        fc.jsonValue({ maxDepth: 1 }),
        (type, path, leaf) => {
          const inner = path.reduceRight<string>(
            (acc, k) => `{"${k}":${acc}}`,
            JSON.stringify(leaf),
          );
          assertClear(`{"type":"${type}","v":1,"${path[0]}":${inner}}`);
          expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(OBJECT_KEYS);
          expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(ARRAY_KEYS);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('for bodies around and beyond the size limits', () => {
    const limits = [MAX_BODY - 1, MAX_BODY, MAX_BODY + 1, MAX_WORKER_BODY, MAX_WORKER_BODY + 1];
    fc.assert(
      fc.property(
        fc.constantFrom(...limits),
        fc.constantFrom(' ', 'x', '[', '{"a":'),
        (size, fill) => {
          const head = '{"type":"status","x":"';
          const body = (head + fill.repeat(size)).slice(0, size);
          assertClear(body);
          if (size > MAX_BODY) {
            const decoded = decodeUserRequest(body);
            expect(decoded.ok ? 'ok' : decoded.error.code).toBe('too_large');
          }
          if (size > MAX_WORKER_BODY) {
            const decoded = decodeWorkerMessage(body);
            expect(decoded.ok ? 'ok' : decoded.error.code).toBe('too_large');
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('round-trips every valid worker and manager message through JSON', () => {
    fc.assert(
      fc.property(validWorker, (m) => {
        const decode =
          m.type === 'profile' || m.type === 'task_results'
            ? decodeWorkerMessage
            : decodeManagerMessage;
        const decoded = decode(JSON.stringify(m));
        expect(decoded).toStrictEqual({ ok: true, message: JSON.parse(JSON.stringify(m)) });
      }),
      { numRuns: 1000 },
    );
  });
});
