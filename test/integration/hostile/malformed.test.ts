// Broken input from an IM client, beyond the basics in pool/pool.test.ts: every malformed,
// oversized, deeply nested or wrongly typed request gets a clear error reply, the store does not
// change, shell metacharacters never get past tag validation, and the pool still runs a job.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { MAX_QUEUE } from '../../../shared/protocol/limits.ts';
import { rssMb } from '../../chaos/servers.ts';
import { createPool, type Pool, type UserClient } from '../../harness/pool.ts';
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
  console.log(report('malformed input', tally, crashes));
  await server?.stop();
});

const job = (fields: string) => `{"type":"job","command":"true","queue":1,${fields}}`;
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** [body, expected error code], grouped by what is wrong with them. */
const CASES: Record<string, [string, string][]> = {
  syntax: [
    ['{', 'bad_syntax'],
    ['{"type":"status"}}', 'bad_syntax'],
    ["{'type': 'status',, }", 'bad_syntax'],
    ['{type: "status"}', 'bad_syntax'],
    ['{\u2018type\u2019:\u2018status\u2019}', 'bad_syntax'],
    ["{'type':'job','command':'C:\\path','queue':1}", 'bad_syntax'],
    ['{"type":"status","job_id":NaN}', 'bad_syntax'],
    ['{"type":"status","job_id":Infinity}', 'bad_syntax'],
    ['{"type":"status","job_id":1e400}', 'bad_syntax'],
    [`{"type":"status","job_id":1${'0'.repeat(400)}}`, 'bad_syntax'],
    ['{"type":"status","job_id":007}', 'bad_syntax'],
    // Plain text, as a person types it: answered with plain text (shared/protocol/plain.ts).
    ['   ', 'text'],
  ],
  'not an object': [
    ['null', 'not_an_object'],
    ['"job"', 'not_an_object'],
    ['42', 'not_an_object'],
    ['true', 'not_an_object'],
  ],
  'wrong or unknown type': [
    ['{"type":5}', 'unknown_type'],
    ['{"type":null}', 'unknown_type'],
    ['{"type":["job"]}', 'unknown_type'],
    ['{"type":{"job":1}}', 'unknown_type'],
    ['{"type":"JOB"}', 'unknown_type'],
  ],
  'wrong field types': [
    ['{"type":"job","command":42,"queue":1}', 'invalid_field'],
    ['{"type":"job","command":null,"queue":1}', 'invalid_field'],
    ['{"type":"job","command":["ls"],"queue":1}', 'invalid_field'],
    ['{"type":"job","command":"","queue":1}', 'invalid_field'],
    ['{"type":"job","command":"   ","queue":1}', 'invalid_field'],
    ['{"type":"job","command":"a\\u0000b","queue":1}', 'invalid_field'],
    [`{"type":"job","command":"${'x'.repeat(4097)}","queue":1}`, 'invalid_field'],
    [job('"cores":0'), 'invalid_field'],
    [job('"cores":1025'), 'invalid_field'],
    [job('"cores":"2"'), 'invalid_field'],
    [job('"ram":-1'), 'invalid_field'],
    [job('"ram":16777217'), 'invalid_field'],
    [job('"retries":101'), 'invalid_field'],
    [job('"retries":true'), 'invalid_field'],
    [job('"cleanup":""'), 'invalid_field'],
    [job('"cleanup":5'), 'invalid_field'],
    [job('"__proto__":{"admin":true}'), 'invalid_field'],
    [job('"constructor":{"prototype":{}}'), 'invalid_field'],
    ['{"type":"help","x":1}', 'invalid_field'],
    [`{"type":"status"${',"k":1'.repeat(5000)}}`, 'invalid_field'],
  ],
  'negative or huge queue': [
    ['{"type":"job","command":"true","queue":-1}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":-0}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":-9007199254740993}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":10000001}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":1e308}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":1.5}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":"10"}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":true}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":null}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":[10]}', 'invalid_field'],
    ['{"type":"job","command":"true","queue":{"n":10}}', 'invalid_field'],
  ],
  'bad or unknown job_id': [
    ['{"type":"status","job_id":0}', 'invalid_field'],
    ['{"type":"status","job_id":-1}', 'invalid_field'],
    ['{"type":"status","job_id":1.5}', 'invalid_field'],
    ['{"type":"cancel","job_id":"1"}', 'invalid_field'],
    ['{"type":"cancel","job_id":true}', 'invalid_field'],
    ['{"type":"cancel","job_id":null}', 'invalid_field'],
    ['{"type":"status","job_id":9007199254740992}', 'invalid_field'],
    ['{"type":"status","job_id":1e300}', 'invalid_field'],
    ['{"type":"status","job_id":9007199254740991}', 'unknown_job'],
    ['{"type":"cancel","job_id":9007199254740991}', 'unknown_job'],
    ['{"type":"cancel","job_id":123456789}', 'unknown_job'],
  ],
  'nesting and size': [
    [job(`"requires":${nested(31)}`), 'invalid_field'],
    [job(`"requires":${nested(32)}`), 'too_large'],
    ['{"a":'.repeat(12_000) + '1' + '}'.repeat(12_000), 'too_large'],
    ["{'a':[".repeat(9000), 'too_large'],
    ['{"type":"help"}' + ' '.repeat(65_536 - 14), 'too_large'],
    [`{"type":"job","command":"${'x'.repeat(200_000)}","queue":1}`, 'too_large'],
  ],
};

/** Tags are [A-Za-z0-9][A-Za-z0-9_.+-]*: nothing a shell would act on can be a tag. */
function metacharacterCases(sentinel: string): string[][] {
  return [
    ['GPU; rm -rf ~'],
    [`$(touch ${sentinel})`],
    [`\`touch ${sentinel}\``],
    ['GPU|sh'],
    ['GPU&&id'],
    ['GPU>out'],
    ['-rf'],
    ['GPU LINUX'],
    ['../etc/passwd'],
    ["GPU'"],
    ['GPU\n'],
    ['GPU\u00e9'],
    [''],
    ['x'.repeat(65)],
    ['LINUX', '*'],
    Array.from({ length: 33 }, (_, i) => `T${i}`),
  ];
}

describe(`malformed input from an IM client (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  let alice: UserClient;

  it('refuses every malformed, oversized, nested or mistyped request with an error, changing nothing', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    alice = await pool.user();
    const before = storeSnapshot(pool);
    for (const [group, cases] of Object.entries(CASES)) {
      for (const [body, code] of cases) {
        const want =
          code === 'text'
            ? { type: 'text', text: expect.stringMatching(/^Sorry: /) }
            : { type: 'error', code };
        await expectRefused(tally, alice, body, want);
      }
      expect(managerAlive(pool), `after ${group}`).toBe(true);
    }
    expect(storeSnapshot(pool)).toBe(before);
    // The boundary itself is fine: a body of exactly 65,536 characters is served.
    const atLimit = await alice.ask('{"type":"help"}' + ' '.repeat(65_536 - 15));
    expect(atLimit).toMatchObject({ type: 'help' });
    await poolStillWorks(pool, alice);
  });

  it('refuses shell metacharacters in requires, and nothing runs them', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2, provides: ['GPU', 'LINUX'] });
    alice = await pool.user();
    const sentinel = join(tmpdir(), `kestrel-pwned-${process.pid}-${Date.now()}`);
    const before = storeSnapshot(pool);
    for (const requires of metacharacterCases(sentinel)) {
      const reply = await expectRefused(
        tally,
        alice,
        { type: 'job', command: `touch ${sentinel}`, queue: 1, requires },
        { type: 'error', code: 'invalid_field' },
      );
      expect(reply.reason).toMatch(/requires/);
    }
    expect(storeSnapshot(pool)).toBe(before);
    expect(existsSync(sentinel)).toBe(false);
    await poolStillWorks(pool, alice);
  });

  it('takes a job of the largest allowed queue in bounded memory, and cancels it', async () => {
    pool = await createPool(server);
    alice = await pool.user();
    const rssBefore = rssMb(pool.manager.pid) ?? 0;
    tally.tried += 1;
    const started = await alice.ask({ type: 'job', command: 'true', queue: MAX_QUEUE });
    expect(started).toMatchObject({ type: 'job_started' });
    tally.allowed += 1;
    const jobId = started.job_id as number;
    expect(await alice.ask({ type: 'status', job_id: jobId })).toMatchObject({
      jobs: [{ queue: MAX_QUEUE, queued: MAX_QUEUE, state: 'running' }],
    });
    // A few bytes per task (typed arrays), not objects: 10 million tasks stay well under 200 MB.
    expect((rssMb(pool.manager.pid) ?? 0) - rssBefore).toBeLessThan(200);
    expect(await alice.ask({ type: 'cancel', job_id: jobId })).toEqual({
      type: 'cancelled',
      job_ids: [jobId],
      tasks: MAX_QUEUE,
    });
    expect(
      await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId),
    ).toMatchObject({ done: 0, cancelled: MAX_QUEUE });
    await pool.startWorker('a', { slots: 2 });
    await poolStillWorks(pool, alice);
  });

  it('survives a body over the XMPP server’s stanza limit: only the sender’s stream suffers', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    alice = await pool.user();
    const mallory = await pool.user('mallory');
    const before = storeSnapshot(pool);
    tally.tried += 1;
    // 600 KB: beyond the 256 KiB that Prosody and the embedded server accept in one stanza.
    await mallory.connection
      .sendText(pool.managerJid, `{'type':'job','command':'${'x'.repeat(600_000)}','queue':1}`)
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    const answered = mallory.replies.length;
    if (answered === 0 || mallory.replies.every((r) => r.type === 'error')) tally.refused += 1;
    expect(storeSnapshot(pool)).toBe(before);
    await poolStillWorks(pool, alice);
  });
});
