import { describe, expect, it } from 'vitest';
import type { ProtocolError } from '../../../../shared/protocol/errors.ts';
import { MAX_BODY } from '../../../../shared/protocol/limits.ts';
import { decodeUserRequest, type UserRequest } from '../../../../shared/protocol/user.ts';

const job = { requires: [], ram: 0, retries: 0 };

describe('decodeUserRequest: the seed 001 messages', () => {
  it.each<[string, UserRequest]>([
    [
      `{'type':'job', 'command':"~/runtask.sh", 'queue':10000}`,
      { type: 'job', command: '~/runtask.sh', queue: 10000, ...job },
    ],
    [`{'type':'status'}`, { type: 'status' }],
    [`{'type':'status', 'job_id': 317}`, { type: 'status', job_id: 317 }],
    [`{'type':'cancel'}`, { type: 'cancel' }],
    [`{'type':'cancel', 'job_id': 428}`, { type: 'cancel', job_id: 428 }],
  ])('%s', (body, message) => {
    expect(decodeUserRequest(body)).toStrictEqual({ ok: true, message });
    expect(decodeUserRequest(JSON.stringify(message))).toStrictEqual({ ok: true, message });
  });
});

describe('decodeUserRequest: accepted forms and defaults', () => {
  it.each<[string, UserRequest]>([
    ['help', { type: 'help' }],
    ['  HeLp \n', { type: 'help' }],
    [`{'type':'help'}`, { type: 'help' }],
    [
      '{"type":"job","command":"run","queue":10000.0,"requires":["a","b","a"],"cleanup":"rm -rf x",' +
        '"cores":4,"ram":2048,"retries":3}',
      {
        type: 'job',
        command: 'run',
        queue: 10000,
        requires: ['a', 'b'],
        cleanup: 'rm -rf x',
        cores: 4,
        ram: 2048,
        retries: 3,
      },
    ],
    [
      `{'type': 'job', 'command': 'a', 'queue': 1e7, 'requires': ['gpu.cuda-12', 'x+y_z'],}`,
      { type: 'job', command: 'a', queue: 10_000_000, ...job, requires: ['gpu.cuda-12', 'x+y_z'] },
    ],
    [
      `{'type':'job','command':'a','queue':1,'ram':0,'retries':100}`,
      {
        type: 'job',
        command: 'a',
        queue: 1,
        ...job,
        retries: 100,
      },
    ],
    [
      `{'type':'job','command':'a','queue':1,'timeout':3600}`,
      { type: 'job', command: 'a', queue: 1, ...job, timeout: 3600 },
    ],
  ])('%s', (body, message) => {
    expect(decodeUserRequest(body)).toStrictEqual({ ok: true, message });
  });
});

describe('decodeUserRequest: errors', () => {
  it.each<[string, ProtocolError]>([
    ['hi', { code: 'bad_syntax', reason: "expected a value at position 1, found 'hi'" }],
    [
      '{',
      {
        code: 'bad_syntax',
        reason: "expected a quoted key or '}' at position 2, found the end of the message",
      },
    ],
    [
      '[1]',
      {
        code: 'not_an_object',
        reason: "expected an object such as {'type':'status'}, got a list of 1 item",
      },
    ],
    [
      '"job"',
      { code: 'not_an_object', reason: "expected an object such as {'type':'status'}, got 'job'" },
    ],
    [
      'None',
      { code: 'not_an_object', reason: "expected an object such as {'type':'status'}, got null" },
    ],
    [
      '{}',
      {
        code: 'unknown_type',
        reason: "missing field 'type': expected job, status, cancel, why, pool, purge or help",
      },
    ],
    [
      `{'type':'jbo'}`,
      {
        code: 'unknown_type',
        reason: "unknown type 'jbo': expected job, status, cancel, why, pool, purge or help",
      },
    ],
    [
      `{'type':5}`,
      {
        code: 'unknown_type',
        reason: 'unknown type 5: expected job, status, cancel, why, pool, purge or help',
      },
    ],
    [
      `{'type':'constructor'}`,
      {
        code: 'unknown_type',
        reason:
          "unknown type 'constructor': expected job, status, cancel, why, pool, purge or help",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':-5}`,
      {
        code: 'invalid_field',
        reason: "field 'queue' must be a whole number from 1 to 10000000 (got -5)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':10000001}`,
      {
        code: 'invalid_field',
        reason: "field 'queue' must be a whole number from 1 to 10000000 (got 10000001)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':2.5}`,
      {
        code: 'invalid_field',
        reason: "field 'queue' must be a whole number from 1 to 10000000 (got 2.5)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':True}`,
      {
        code: 'invalid_field',
        reason: "field 'queue' must be a whole number from 1 to 10000000 (got true)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':'10'}`,
      {
        code: 'invalid_field',
        reason: "field 'queue' must be a whole number from 1 to 10000000 (got '10')",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'requries':['a']}`,
      { code: 'invalid_field', reason: "unknown field 'requries' (did you mean 'requires'?)" },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'foo':1, 'bar':2}`,
      { code: 'invalid_field', reason: "unknown fields 'foo', 'bar'" },
    ],
    [
      `{'type':'job', 'queue':5}`,
      {
        code: 'invalid_field',
        reason: "missing field 'command' (a non-blank command line of at most 4096 characters)",
      },
    ],
    [
      `{'type':'job', 'command':' \\t ', 'queue':5}`,
      {
        code: 'invalid_field',
        reason:
          "field 'command' must be a non-blank command line of at most 4096 characters (got ' \\t ')",
      },
    ],
    [
      `{'type':'job', 'command':'a\\x00b', 'queue':5}`,
      {
        code: 'invalid_field',
        reason:
          "field 'command' must be a non-blank command line of at most 4096 characters (got 'a\\u0000b')",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'requires':['ok','bad tag']}`,
      {
        code: 'invalid_field',
        reason:
          "field 'requires' must be a list of at most 32 tags like 'linux' or 'gpu' (each up to 64 letters, digits, _ . + -) (got 'bad tag' as item 2)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'requires':'gpu'}`,
      {
        code: 'invalid_field',
        reason:
          "field 'requires' must be a list of at most 32 tags like 'linux' or 'gpu' (each up to 64 letters, digits, _ . + -) (got 'gpu')",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'cores':0}`,
      {
        code: 'invalid_field',
        reason: "field 'cores' must be a whole number from 1 to 1024 (got 0)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'ram':-1}`,
      {
        code: 'invalid_field',
        reason: "field 'ram' must be a whole number of MB from 0 to 16777216 (got -1)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'timeout':0.5}`,
      {
        code: 'invalid_field',
        reason: "field 'timeout' must be a whole number of seconds from 1 to 2592000 (got 0.5)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'retries':101}`,
      {
        code: 'invalid_field',
        reason: "field 'retries' must be a whole number from 0 to 100 (got 101)",
      },
    ],
    [
      `{'type':'job', 'command':'x', 'queue':5, 'cleanup':''}`,
      {
        code: 'invalid_field',
        reason:
          "field 'cleanup' must be a non-blank command line of at most 4096 characters (got '')",
      },
    ],
    [
      `{'type':'status', 'job_id':0}`,
      {
        code: 'invalid_field',
        reason: "field 'job_id' must be a job number (a whole number of at least 1) (got 0)",
      },
    ],
    [
      `{'type':'cancel', 'job_id':None}`,
      {
        code: 'invalid_field',
        reason: "field 'job_id' must be a job number (a whole number of at least 1) (got null)",
      },
    ],
    [
      `{'type':'status', 'job_id':9007199254740992}`,
      {
        code: 'invalid_field',
        reason:
          "field 'job_id' must be a job number (a whole number of at least 1) (got 9007199254740992)",
      },
    ],
    [
      `{'type':'status', '__proto__':{'job_id':1}}`,
      { code: 'invalid_field', reason: "unknown field '__proto__'" },
    ],
    [`{'type':'help', 'please':1}`, { code: 'invalid_field', reason: "unknown field 'please'" }],
  ])('%s', (body, error) => {
    expect(decodeUserRequest(body)).toStrictEqual({ ok: false, error });
  });

  it('refuses bodies over MAX_BODY and nesting deeper than 32 as too_large', () => {
    const long = decodeUserRequest(' '.repeat(MAX_BODY + 1));
    expect(long).toStrictEqual({
      ok: false,
      error: {
        code: 'too_large',
        reason: `message is ${MAX_BODY + 1} characters long; the limit is ${MAX_BODY}`,
      },
    });
    const deep = decodeUserRequest(`{'type':'status','x':${'['.repeat(40)}}`);
    expect(deep).toStrictEqual({
      ok: false,
      error: { code: 'too_large', reason: 'lists and objects are nested deeper than 32' },
    });
  });

  it('truncates long values in reasons', () => {
    const decoded = decodeUserRequest(`{'type':'job','command':'x','queue':'${'9'.repeat(100)}'}`);
    expect(decoded.ok || decoded.error.reason).toBe(
      `field 'queue' must be a whole number from 1 to 10000000 (got '${'9'.repeat(40)}…')`,
    );
  });
});
