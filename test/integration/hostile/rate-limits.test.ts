// Floods of worker-protocol traffic (issue 8, item 13), against the embedded server: the manager
// drops what one worker JID sends past its rate limit, with one warning, and asks it to resync so
// nothing dropped is lost; a worker answers strangers a few times a second and logs a summary.
import { describe, expect, it } from 'vitest';

import { createConnection, type XmppConnection } from '../../../src-main/xmpp/connection.ts';
import { startEmbedded } from '../../harness/embedded.ts';
import { createPool, type Pool } from '../../harness/pool.ts';
import { until } from '../../harness/task-output.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';
import { expectServed, poolStillWorks } from './probe.ts';
import { useHostileSuite } from './suite.ts';

const suite = useHostileSuite('worker floods', () => startEmbedded());
const PASSWORD = 'rate-limits-pw';
const OVER = 'worker traffic over its rate limit';
const RESYNC = 'asking a rate-limited worker to resync';

const lines = (text: string, needle: string) => text.split('\n').filter((l) => l.includes(needle));

async function client(
  prefix: string,
): Promise<{ jid: string; connection: XmppConnection; bodies: string[] }> {
  const local = uniqueUser(prefix);
  await suite.server.createAccount(local, PASSWORD);
  const connection = createConnection({
    service: suite.server.service,
    domain: suite.server.domain,
    username: local,
    password: PASSWORD,
    resource: 'x',
  });
  const bodies: string[] = [];
  connection.on('message', ({ body }) => bodies.push(body));
  connection.on('error', () => undefined);
  await connection.start();
  suite.cleanup(() => connection.stop());
  return { jid: `${local}@${suite.server.domain}/x`, connection, bodies };
}

/** A pool whose manager lets one worker JID send this many characters a second (burst 8 s). */
async function limitedPool(bytesPerSecond: number): Promise<Pool> {
  suite.pool = await createPool(suite.server, [
    '--worker-bytes-per-second',
    String(bytesPerSecond),
  ]);
  return suite.pool;
}

describe('worker-protocol floods (embedded)', () => {
  it('drops a flood from one worker JID with one warning, then takes it all after a resync', async () => {
    const pool = await limitedPool(100_000);
    const alice = await pool.user();
    const flooder = await client('flooder');
    // 30 messages of 5 results with 4,000-character tails: 1.2 M characters, over the burst.
    const result = (index: number) => ({
      job_id: 999_999,
      index,
      attempt: 1,
      exit_code: 0,
      signal: null,
      duration_ms: 1,
      stdout_tail: 'o'.repeat(4000),
      stderr_tail: 'e'.repeat(4000),
    });
    const batches = Array.from({ length: 30 }, (_, b) =>
      Array.from({ length: 5 }, (_, i) => result(b * 5 + i)),
    );
    const acked = new Set<number>();
    let resyncs = 0;
    let seen = 0;
    const send = (batch: ReturnType<typeof result>[]) =>
      flooder.connection.sendJson(pool.managerJid, { type: 'task_results', v: 1, results: batch });
    // As a real worker does: every resync resends what is not acked yet (sends keep their order).
    const react = () => {
      for (; seen < flooder.bodies.length; seen += 1) {
        const m = JSON.parse(flooder.bodies[seen]!) as {
          type: string;
          results?: { index: number }[];
        };
        if (m.type === 'ack') for (const r of m.results ?? []) acked.add(r.index);
        if (m.type !== 'resync') continue;
        resyncs += 1;
        for (const batch of batches) {
          const left = batch.filter((r) => !acked.has(r.index));
          if (left.length > 0) void send(left);
        }
      }
    };
    suite.tally.tried += batches.length;
    for (const batch of batches) await send(batch);
    await until(() => (react(), acked.size === 150), 'every result to be acked', 90_000);
    suite.tally.allowed += batches.length;
    expect(resyncs).toBeGreaterThanOrEqual(1);
    const output = pool.manager.output();
    // One warning per episode, not one per dropped message; each episode ended with a resync.
    expect(lines(output, OVER).length).toBeGreaterThanOrEqual(1);
    expect(lines(output, OVER).length).toBeLessThanOrEqual(resyncs);
    expect(lines(output, RESYNC).length).toBe(resyncs);
    await expectServed(suite.tally, alice, { type: 'status' }, 'status');
  });

  it('loses no result of a real worker that goes over the limit', async () => {
    const pool = await limitedPool(50_000);
    await pool.startWorker('a', { slots: 2 });
    const alice = await pool.user();
    // Each result carries 4,096-character stdout and stderr tails: about 8 KB.
    const command =
      "head -c 4096 /dev/zero | tr '\\0' o; head -c 4096 /dev/zero | tr '\\0' e >&2; true";
    const started = await expectServed(
      suite.tally,
      alice,
      { type: 'job', command, queue: 60 },
      'job_started',
    );
    const finished = await alice.waitFor(
      (r) => r.type === 'job_finished' && r.job_id === started.job_id,
      100_000,
    );
    expect(finished).toMatchObject({ done: 60, failed: 0, cancelled: 0 });
    expect(pool.manager.output()).toContain(RESYNC);
    // Nothing was given up as lost on the way: the results came back, not the tasks.
    expect(pool.query('SELECT idx FROM tasks WHERE lost > 0')).toEqual([]);
  });

  it('answers a stranger a few times, then is silent, and logs a summary', async () => {
    suite.pool = await createPool(suite.server);
    const pool = suite.pool;
    const worker = await pool.startWorker('a');
    const alice = await pool.user();
    const stranger = await client('stranger');
    const to = pool.workerJids.get('a')!;
    const task = { job_id: 1, index: 0, attempt: 1, command: 'touch /tmp/never', cores: 1, ram: 0 };
    const body = JSON.stringify({ type: 'tasks', v: 1, tasks: [task] });
    const count = 2000;
    suite.tally.tried += count;
    for (let i = 0; i < count; i += 1) await stranger.connection.sendText(to, body);
    await worker.waitForOutput(/refused \d+ messages from 1 JIDs that are not our manager/);
    const output = worker.output();
    const summarised = lines(output, 'refused ').flatMap((l) => {
      const n = /refused (\d+) messages/.exec(l)?.[1];
      return n === undefined ? [] : [Number(n)];
    });
    expect(summarised.reduce((a, b) => a + b, 0)).toBeGreaterThan(count / 2);
    // A line for the first refusal of each interval, not one per message.
    expect(lines(output, 'refused a message').length).toBeLessThan(10);
    expect(stranger.bodies.length).toBeGreaterThanOrEqual(1);
    expect(stranger.bodies.length).toBeLessThan(100);
    for (const answer of stranger.bodies) {
      expect(JSON.parse(answer)).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    suite.tally.refused += count;
    await poolStillWorks(pool, alice);
  });
});
