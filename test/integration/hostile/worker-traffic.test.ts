// Broken worker traffic from an account the manager accepts as a worker (by the default policy,
// any account of its domain): every malformed profile or result batch gets a v1 `error` naming
// the problem, an `error` is never answered (no ping-pong), and the store does not change.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createPool, type Pool } from '../../harness/pool.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';
import {
  createTally,
  expectRefused,
  managerAlive,
  poolStillWorks,
  report,
  storeSnapshot,
} from './probe.ts';

let server: TestXmppServer;
let pool: Pool | undefined;
const tally = createTally();
let crashes = 0;

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  if (pool && !managerAlive(pool)) crashes += 1;
  await pool?.close();
  pool = undefined;
});
afterAll(async () => {
  console.log(report('worker traffic', tally, crashes));
  await server?.stop();
});

const PROFILE = {
  type: 'profile',
  v: 1,
  os: 'Linux',
  ram: 4096,
  cores: 4,
  provides: ['LINUX'],
  slots: 2,
  running: [],
};
const RESULT = {
  job_id: 1,
  index: 0,
  attempt: 1,
  exit_code: 0,
  signal: null,
  duration_ms: 5,
  stdout_tail: '',
  stderr_tail: '',
};
const profile = (fields: object) => ({ ...PROFILE, ...fields });
const results = (...items: object[]) => ({ type: 'task_results', v: 1, results: items });
const result = (fields: object) => ({ ...RESULT, ...fields });

const CASES: [string, object | string, string][] = [
  ['newer version', profile({ v: 2 }), 'unsupported_version'],
  ['no version', { ...PROFILE, v: undefined }, 'unsupported_version'],
  ['version as text', profile({ v: '1' }), 'unsupported_version'],
  ['results of a newer version', { ...results(RESULT), v: 2 }, 'unsupported_version'],
  ['no slots', profile({ slots: 0 }), 'invalid_field'],
  ['too many slots', profile({ slots: 1001 }), 'invalid_field'],
  ['shell in provides', profile({ provides: ['$(rm -rf ~)'] }), 'invalid_field'],
  [
    'too many tags',
    profile({ provides: Array.from({ length: 257 }, (_, i) => `t${i}`) }),
    'invalid_field',
  ],
  ['empty os', profile({ os: '' }), 'invalid_field'],
  ['negative ram', profile({ ram: -1 }), 'invalid_field'],
  ['running not a list', profile({ running: 'all' }), 'invalid_field'],
  [
    'negative index running',
    profile({ running: [{ job_id: 1, index: -1, attempt: 1 }] }),
    'invalid_field',
  ],
  ['no results', results(), 'invalid_field'],
  [
    '1001 results',
    results(...Array.from({ length: 1001 }, (_, i) => result({ index: i }))),
    'invalid_field',
  ],
  ['exit code as text', results(result({ exit_code: 'x' })), 'invalid_field'],
  ['negative index', results(result({ index: -1 })), 'invalid_field'],
  ['attempt 0', results(result({ attempt: 0 })), 'invalid_field'],
  ['job 0', results(result({ job_id: 0 })), 'invalid_field'],
  ['negative duration', results(result({ duration_ms: -5 })), 'invalid_field'],
  ['empty signal', results(result({ signal: '' })), 'invalid_field'],
  ['tail too long', results(result({ stdout_tail: 'x'.repeat(5000) })), 'invalid_field'],
  ['missing exit code', results({ ...RESULT, exit_code: undefined }), 'invalid_field'],
  ['oversized body', results(result({ stdout_tail: 'x'.repeat(140_000) })), 'too_large'],
];

describe(`malformed worker traffic (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('answers each malformed worker message with a v1 error and records nothing', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    const alice = await pool.user();
    // A real job, so forged results have something they could have hit.
    const started = await alice.ask({ type: 'job', command: 'true', queue: 3 });
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === started.job_id);
    const bob = await pool.user('bob');
    const before = storeSnapshot(pool);
    for (const [what, body, code] of CASES) {
      const reply = await expectRefused(tally, bob, body, { type: 'error', code });
      expect(reply, what).toMatchObject({ v: 1, reason: expect.any(String) });
    }
    expect(storeSnapshot(pool)).toBe(before);

    // An error from a "worker" is logged, never answered: two peers must not bounce errors.
    tally.tried += 1;
    const from = bob.replies.length;
    await bob.connection.sendJson(pool.managerJid, {
      type: 'error',
      v: 1,
      code: 'internal',
      reason: 'x',
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(bob.replies.slice(from)).toEqual([]);
    tally.refused += 1;
    // Nor does a well-formed error of a future version get a reply.
    tally.tried += 1;
    await bob.connection.sendJson(pool.managerJid, { type: 'error', v: 9, code: 'x', reason: 'y' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(bob.replies.slice(from)).toEqual([]);
    tally.refused += 1;
    await poolStillWorks(pool, alice);
  });
});
