// Who may do what, and a flood: JIDs that may not submit, users reaching for someone else's job,
// and one JID sending a burst of submissions. Each is refused with a clear reply and leaves other
// people's jobs as they were. (pool/pool.test.ts covers the basic forbidden status and cancel.)
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createPool, type Pool, type Reply, type UserClient } from '../../harness/pool.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';
import { rssMb } from '../../chaos/servers.ts';
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
  console.log(report('access and flooding', tally, crashes));
  await server?.stop();
});

const jobRow = (p: Pool, id: number) =>
  JSON.stringify(p.query('SELECT * FROM jobs WHERE id = ?', id));

/** A pool whose manager allows only the users it names, by role. */
async function poolWithRoles(): Promise<{
  pool: Pool;
  alice: UserClient;
  bob: UserClient;
  root: UserClient;
  mallory: UserClient;
}> {
  const p = await createPool(server);
  pool = p;
  await p.startWorker('a', { slots: 1 });
  const [alice, bob, root, mallory] = await Promise.all(
    ['alice', 'bob', 'root', 'mallory'].map((name) => p.user(name)),
  );
  await p.manager.kill('SIGTERM');
  await p.startManager([
    ...['--submitters', `${alice!.jid},${bob!.jid}`],
    ...['--admins', root!.jid],
  ]);
  return { pool: p, alice: alice!, bob: bob!, root: root!, mallory: mallory! };
}

describe(`access and flooding (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('refuses every request of a JID that may not submit, and it cannot touch allowed jobs', async () => {
    const { pool, alice, mallory } = await poolWithRoles();
    const started = await alice.ask({ type: 'job', command: 'sleep 30', queue: 3 });
    const jobId = started.job_id as number;
    const before = jobRow(pool, jobId);
    const jobsBefore = pool.query('SELECT id FROM jobs');
    const forbidden = { type: 'error', code: 'forbidden' };
    await expectRefused(
      tally,
      mallory,
      { type: 'job', command: 'true', queue: 1 },
      {
        type: 'job_rejected',
        reason: /may not use this manager/,
      },
    );
    await expectRefused(
      tally,
      mallory,
      "{'type':'job', 'command':'true', 'queue':5, 'requires':['GPU']}",
      {
        type: 'job_rejected',
      },
    );
    await expectRefused(tally, mallory, { type: 'status' }, forbidden);
    await expectRefused(tally, mallory, { type: 'status', job_id: jobId }, forbidden);
    await expectRefused(tally, mallory, { type: 'cancel' }, forbidden);
    await expectRefused(tally, mallory, { type: 'cancel', job_id: jobId }, forbidden);
    await expectRefused(tally, mallory, 'help', {
      type: 'text',
      text: expect.stringMatching(/^Sorry: .*may not use this manager/),
    });
    // Malformed input is answered as such whoever sends it: the error helps, it grants nothing.
    await expectRefused(tally, mallory, "{'type':'job'", { type: 'error', code: 'bad_syntax' });
    expect(pool.query('SELECT id FROM jobs')).toEqual(jobsBefore);
    expect(jobRow(pool, jobId)).toBe(before);
    expect(await alice.ask({ type: 'status', job_id: jobId })).toMatchObject({
      jobs: [{ state: 'running', cancelled: 0 }],
    });
    await alice.ask({ type: 'cancel', job_id: jobId });
    await poolStillWorks(pool, alice);
  });

  it('a submitter cannot see or cancel another’s job, cancelling “all” takes only its own; an admin can', async () => {
    const { pool, alice, bob, root } = await poolWithRoles();
    const started = await alice.ask({ type: 'job', command: 'sleep 30', queue: 4 });
    const jobId = started.job_id as number;
    const before = jobRow(pool, jobId);
    // Someone else's job answers exactly like one that does not exist.
    const unknown = { type: 'error', code: 'unknown_job' };
    await expectRefused(tally, bob, { type: 'cancel', job_id: jobId }, unknown);
    await expectRefused(tally, bob, `{'type':'cancel', 'job_id': ${jobId}}`, unknown);
    await expectRefused(tally, bob, { type: 'status', job_id: jobId }, unknown);
    // "Cancel all mine" from bob: nothing of alice's.
    tally.tried += 1;
    const all = await bob.ask({ type: 'cancel' });
    expect(all).toEqual({ type: 'cancelled', job_ids: [], tasks: 0 });
    tally.allowed += 1;
    tally.tried += 1;
    const bobStatus = await bob.ask({ type: 'status' });
    expect(bobStatus).toEqual({ type: 'status', jobs: [] });
    tally.allowed += 1;
    expect(jobRow(pool, jobId)).toBe(before);
    expect(await alice.ask({ type: 'status', job_id: jobId })).toMatchObject({
      jobs: [{ state: 'running', cancelled: 0 }],
    });

    // An admin sees every job and may cancel it; the owner is told it finished.
    expect(await root.ask({ type: 'status', job_id: jobId })).toMatchObject({
      jobs: [{ job_id: jobId, state: 'running' }],
    });
    expect(await root.ask({ type: 'cancel', job_id: jobId })).toEqual({
      type: 'cancelled',
      job_ids: [jobId],
      tasks: 4,
    });
    expect(
      await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId),
    ).toMatchObject({ done: 0, cancelled: 4 });
    await poolStillWorks(pool, alice);
  });

  it('rate-limits a flood of job submissions: what is accepted is stored once, the rest refused', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    const flooder = await pool.user('flood');
    const alice = await pool.user();
    const sent = 100;
    const t0 = Date.now();
    for (let i = 0; i < sent; i += 1)
      void flooder.connection.sendJson(pool.managerJid, { type: 'job', command: 'true', queue: 1 });
    // Someone else is served in the middle of it.
    expect(await alice.ask({ type: 'status' })).toMatchObject({ type: 'status' });
    await flooder.waitFor(
      () => flooder.replies.filter((r) => r.type !== 'job_finished').length >= sent,
    );
    const seconds = (Date.now() - t0) / 1000;
    const answers = flooder.replies.filter((r) => r.type !== 'job_finished');
    const accepted = answers.filter((r) => r.type === 'job_started');
    const limited = answers.filter((r) => r.type === 'error' && r.code === 'rate_limited');
    tally.tried += sent;
    tally.refused += limited.length;
    tally.allowed += accepted.length;
    expect(accepted.length + limited.length).toBe(sent);
    expect(accepted.length).toBeGreaterThanOrEqual(30);
    expect(accepted.length).toBeLessThanOrEqual(30 + Math.ceil(10 * seconds) + 1);
    expect(limited.length).toBeGreaterThan(0);
    // Each accepted submission is one job, with the number it was given.
    const stored = pool.query<{ id: number }>('SELECT id FROM jobs WHERE owner = ?', flooder.jid);
    expect(stored.map((j) => j.id).sort((a, b) => a - b)).toEqual(
      accepted.map((r) => r.job_id as number).sort((a, b) => a - b),
    );
    for (const r of accepted)
      await flooder.waitFor((f) => f.type === 'job_finished' && f.job_id === r.job_id, 60_000);

    // A flood of oversized bodies costs the manager nothing lasting.
    const before = storeSnapshot(pool);
    const rssBefore = rssMb(pool.manager.pid) ?? 0;
    const big = `{'type':'job','command':'${'x'.repeat(70_000)}','queue':1}`;
    const from = flooder.replies.length;
    for (let i = 0; i < 40; i += 1) void flooder.connection.sendText(pool.managerJid, big);
    await flooder.waitFor(() => flooder.replies.length - from >= 40);
    const codes = new Set(flooder.replies.slice(from).map((r: Reply) => r.code));
    tally.tried += 40;
    tally.refused += flooder.replies.slice(from).filter((r) => r.type === 'error').length;
    expect([...codes].every((c) => c === 'too_large' || c === 'rate_limited')).toBe(true);
    expect(storeSnapshot(pool)).toBe(before);
    expect(rssMb(pool.manager.pid) ?? 0).toBeLessThan(rssBefore + 200);

    // Once the bucket has refilled the flooder is served again.
    await new Promise((r) => setTimeout(r, 3500));
    expect(await flooder.ask({ type: 'status' })).toMatchObject({ type: 'status' });
    await poolStillWorks(pool, alice);
  });
});
