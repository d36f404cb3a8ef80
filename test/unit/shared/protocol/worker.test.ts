import { describe, expect, it } from 'vitest';
import type { ProtocolError } from '../../../../shared/protocol/errors.ts';
import {
  MAX_BATCH,
  MAX_DEPTH,
  MAX_WORKER_BODY,
  TAIL_CHARS,
} from '../../../../shared/protocol/limits.ts';
import {
  decodeManagerMessage,
  decodeWorkerMessage,
  errorMessage,
  type ManagerMessage,
  type TaskResult,
  type WorkerMessage,
} from '../../../../shared/protocol/worker.ts';

const ref = { job_id: 7, index: 0, attempt: 1 };
const result: TaskResult = {
  ...ref,
  exit_code: 0,
  signal: null,
  duration_ms: 1234.5,
  stdout_tail: 'ok\n',
  stderr_tail: '',
};
const profile: WorkerMessage = {
  type: 'profile',
  v: 1,
  os: 'Linux',
  ram: 4096,
  cores: 4,
  provides: ['FOO', 'BAR'],
  slots: 4,
  running: [ref],
};

describe('decodeWorkerMessage', () => {
  it.each<WorkerMessage>([
    profile,
    { ...profile, provides: [], running: [] },
    { type: 'task_results', v: 1, results: [result] },
    {
      type: 'task_results',
      v: 1,
      results: [
        { ...result, exit_code: null, signal: 'SIGKILL', stderr_tail: 'x'.repeat(TAIL_CHARS) },
        { ...result, index: 1, exit_code: null, error: 'spawn ENOENT' },
      ],
    },
    { type: 'error', v: 1, code: 'invalid_field', reason: "field 'tasks' must be …" },
    { type: 'error', v: 2, code: 'some_future_code', reason: '' },
    { ...profile, slots: 2, update: true },
    { type: 'return_tasks', v: 1, reason: 'blocked', tasks: [ref] },
    { type: 'return_tasks', v: 1, reason: 'suspended', tasks: [ref, { ...ref, index: 1 }] },
  ])('decodes $type', (message) => {
    expect(decodeWorkerMessage(JSON.stringify(message))).toStrictEqual({ ok: true, message });
  });

  it.each<[unknown, string]>([
    [{ type: 'return_tasks', v: 1, reason: 'bored', tasks: [ref] }, "field 'reason'"],
    [{ type: 'return_tasks', v: 1, reason: 'blocked', tasks: [] }, "field 'tasks'"],
    [{ ...profile, update: 'yes' }, "field 'update'"],
  ])('refuses a malformed %j', (message, field) => {
    const decoded = decodeWorkerMessage(JSON.stringify(message));
    expect(decoded).toMatchObject({ ok: false, error: { code: 'invalid_field' } });
    expect(decoded.ok ? '' : decoded.error.reason).toContain(field);
  });

  it('drops unknown fields and duplicate tags', () => {
    const body = JSON.stringify({ ...profile, provides: ['A', 'A'], gpu: 'rtx', running: [] });
    expect(decodeWorkerMessage(body)).toStrictEqual({
      ok: true,
      message: { ...profile, provides: ['A'], running: [] },
    });
  });

  it.each<[unknown, ProtocolError]>([
    [
      { type: 'profile', os: 'Linux', ram: 4096, cores: 4, provides: ['FOO', 'BAR'] },
      {
        code: 'unsupported_version',
        reason: "missing field 'v': this side speaks protocol version 1",
      },
    ],
    [
      { type: 'whatever', v: 2 },
      {
        code: 'unsupported_version',
        reason: 'unsupported version 2: this side speaks protocol version 1',
      },
    ],
    [
      { type: 'profile', v: '1' },
      {
        code: 'unsupported_version',
        reason: "unsupported version '1': this side speaks protocol version 1",
      },
    ],
    [
      { type: 'tasks', v: 1, tasks: [] },
      {
        code: 'unknown_type',
        reason: "unknown type 'tasks': expected profile, task_results, return_tasks or error",
      },
    ],
    [
      { v: 1 },
      {
        code: 'unknown_type',
        reason: "missing field 'type': expected profile, task_results, return_tasks or error",
      },
    ],
    [
      { type: 'task_results', v: 1, results: [] },
      {
        code: 'invalid_field',
        reason: `field 'results' must be a list of 1 to ${MAX_BATCH} entries (got an empty list)`,
      },
    ],
    [
      { type: 'task_results', v: 1, results: [{ ...result, exit_code: 'x' }] },
      {
        code: 'invalid_field',
        reason: "field 'results[0].exit_code' must be a whole number or null (got 'x')",
      },
    ],
    [
      { type: 'task_results', v: 1, results: [result, { ...result, attempt: 0 }] },
      {
        code: 'invalid_field',
        reason:
          "field 'results[1].attempt' must be an attempt number (a whole number of at least 1) (got 0)",
      },
    ],
    [
      {
        type: 'task_results',
        v: 1,
        results: [{ ...result, stdout_tail: 'x'.repeat(TAIL_CHARS + 1) }],
      },
      {
        code: 'invalid_field',
        reason: `field 'results[0].stdout_tail' must be a string of at most ${TAIL_CHARS} characters (got '${'x'.repeat(40)}…')`,
      },
    ],
    [
      { type: 'task_results', v: 1, results: [{ ...result, duration_ms: -1 }] },
      {
        code: 'invalid_field',
        reason:
          "field 'results[0].duration_ms' must be a number of milliseconds, at least 0 (got -1)",
      },
    ],
    [
      { ...profile, slots: 0 },
      {
        code: 'invalid_field',
        reason: `field 'slots' must be a whole number from 1 to ${MAX_BATCH} (got 0)`,
      },
    ],
    [
      { ...profile, running: [{ job_id: 1, index: -1, attempt: 1 }] },
      {
        code: 'invalid_field',
        reason:
          "field 'running[0].index' must be a task index (a whole number from 0 to 9999999) (got -1)",
      },
    ],
    [
      { type: 'error', v: 1, code: 'x' },
      {
        code: 'invalid_field',
        reason:
          "missing field 'reason' (one of blocked, suspended, or for an error a string of at most 4096 characters)",
      },
    ],
  ])('rejects %j', (message, error) => {
    expect(decodeWorkerMessage(JSON.stringify(message))).toStrictEqual({ ok: false, error });
  });

  it('reports syntax, shape and size problems', () => {
    expect(decodeWorkerMessage('{"type":')).toMatchObject({
      ok: false,
      error: { code: 'bad_syntax' },
    });
    expect(decodeWorkerMessage('[]')).toMatchObject({
      ok: false,
      error: { code: 'not_an_object' },
    });
    const huge = JSON.stringify({ ...profile, os: 'x'.repeat(MAX_WORKER_BODY) });
    expect(decodeWorkerMessage(huge)).toMatchObject({ ok: false, error: { code: 'too_large' } });
  });

  // Strict JSON takes V8's parser (the fast path); the answers are those of the literal parser.
  it(`refuses nesting deeper than ${MAX_DEPTH} in strict JSON too, and accepts ${MAX_DEPTH}`, () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const body = (n: number) =>
      JSON.stringify(profile).replace('"os"', `"extra":${nested(n)},"os"`);
    // The message object itself is one level.
    expect(decodeWorkerMessage(body(MAX_DEPTH - 1))).toStrictEqual({ ok: true, message: profile });
    expect(decodeWorkerMessage(body(MAX_DEPTH))).toMatchObject({
      ok: false,
      error: { code: 'too_large', reason: `lists and objects are nested deeper than ${MAX_DEPTH}` },
    });
  });

  it('decodes the Python-literal form of worker traffic as before, and strict JSON alike', () => {
    const python =
      "{'type': 'task_results', 'v': 1, 'results': [{'job_id': 7, 'index': 0, 'attempt': 1, 'exit_code': 0, 'signal': None, 'duration_ms': 1234.5, 'stdout_tail': 'ok\\n', 'stderr_tail': '',}]}";
    const json = JSON.stringify({ type: 'task_results', v: 1, results: [result] });
    expect(decodeWorkerMessage(python)).toStrictEqual(decodeWorkerMessage(json));
    // A '__proto__' key stays an ordinary (unknown, dropped) field either way.
    const proto = json.replace('"v":1', '"__proto__":{"polluted":true},"v":1');
    expect(decodeWorkerMessage(proto)).toStrictEqual(decodeWorkerMessage(json));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decodeManagerMessage', () => {
  it.each<ManagerMessage>([
    {
      type: 'tasks',
      v: 1,
      tasks: [
        { ...ref, command: '~/runtask.sh', cores: 1, ram: 0 },
        { ...ref, index: 1, attempt: 2, command: 'run', cleanup: 'clean', cores: 2, ram: 512 },
        { ...ref, index: 2, command: 'run', cores: 1, ram: 0, timeout: 3600, owner: 'alice@x' },
      ],
    },
    { type: 'cancel_tasks', v: 1, tasks: [ref] },
    { type: 'ack', v: 1, results: [ref, { ...ref, index: 9_999_999 }] },
    { type: 'resync', v: 1 },
    { type: 'error', v: 1, code: 'unsupported_version', reason: 'speak v1' },
  ])('decodes $type', (message) => {
    expect(decodeManagerMessage(JSON.stringify(message))).toStrictEqual({ ok: true, message });
  });

  it.each<[unknown, ProtocolError]>([
    [
      { type: 'profile', v: 1 },
      {
        code: 'unknown_type',
        reason: "unknown type 'profile': expected tasks, cancel_tasks, ack, resync or error",
      },
    ],
    [
      { type: 'tasks', v: 1, tasks: [{ ...ref, command: '', cores: 1, ram: 0 }] },
      {
        code: 'invalid_field',
        reason:
          "field 'tasks[0].command' must be a non-blank command line of at most 4096 characters (got '')",
      },
    ],
    [
      { type: 'ack', v: 1, results: Array.from({ length: MAX_BATCH + 1 }, () => ref) },
      {
        code: 'invalid_field',
        reason: `field 'results' must be a list of 1 to ${MAX_BATCH} entries (got a list of ${MAX_BATCH + 1} items)`,
      },
    ],
    [
      { type: 'tasks', v: 1, tasks: [{ ...ref, command: 'x', cores: 1, ram: 0, timeout: 0 }] },
      {
        code: 'invalid_field',
        reason:
          "field 'tasks[0].timeout' must be a whole number of seconds from 1 to 2592000 (got 0)",
      },
    ],
    [
      { type: 'cancel_tasks', v: 3, tasks: [ref] },
      {
        code: 'unsupported_version',
        reason: 'unsupported version 3: this side speaks protocol version 1',
      },
    ],
  ])('rejects %j', (message, error) => {
    expect(decodeManagerMessage(JSON.stringify(message))).toStrictEqual({ ok: false, error });
  });
});

describe('errorMessage', () => {
  it('builds a v1 error that the other side decodes', () => {
    const message = errorMessage({ code: 'unsupported_version', reason: 'speak v1' });
    expect(message).toStrictEqual({
      type: 'error',
      v: 1,
      code: 'unsupported_version',
      reason: 'speak v1',
    });
    expect(decodeManagerMessage(JSON.stringify(message))).toStrictEqual({ ok: true, message });
    expect(decodeWorkerMessage(JSON.stringify(message))).toStrictEqual({ ok: true, message });
  });
});
