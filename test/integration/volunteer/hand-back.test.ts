// The pool is never held hostage by a volunteer: a task suspended longer than the volunteer's
// limit is stopped and given back, and finishes on another worker; a blocked submitter's tasks
// are refused, run elsewhere, and stay refused after a restart; what ran is in the history.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VolunteerSettings } from '../../../shared/api.ts';
import { createVolunteerApi } from '../../../src-main/volunteer/api.ts';
import { cpuOf, newMarker, until } from '../../harness/cpu-time.ts';
import { createPool, type Pool } from '../../harness/pool.ts';
import {
  runs,
  spinCommand,
  startVolunteer,
  submit,
  waitForState,
  type Running,
} from '../../harness/volunteer.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';

let server: TestXmppServer;
let pool: Pool | undefined;
const volunteers: Running[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  for (const v of volunteers.splice(0)) {
    await v.volunteer.stop();
    v.remove();
  }
  await pool?.close();
  pool = undefined;
});

async function volunteer(
  p: Pool,
  settings: Partial<VolunteerSettings>,
  options?: Parameters<typeof startVolunteer>[3],
): Promise<Running> {
  const v = await startVolunteer(server, p, settings, options);
  volunteers.push(v);
  return v;
}

/** The worker (full JID) the manager recorded a task done by, and the attempt. */
function doneBy(p: Pool, jobId: number): { worker: string; attempt: number } | undefined {
  return p.query<{ worker: string; attempt: number }>(
    "SELECT worker, attempt FROM tasks WHERE job_id = ? AND idx = 0 AND state = 'done'",
    jobId,
  )[0];
}

const NODE = join(import.meta.dirname, '../../../node_modules/.bin/node');
const MAIN = join(import.meta.dirname, '../../../src-main/cli/main.ts');

describe(`a volunteer gives way (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('gives back a task suspended past its limit, which then finishes on another worker', async () => {
    pool = await createPool(server);
    const started = await volunteer(pool, {
      cpuCap: 10,
      onlyWhenIdle: true,
      idleSeconds: 60,
      suspendLimitSeconds: 2,
    });
    const { volunteer: v, idle, log } = started;
    const alice = await pool.user();
    const marker = newMarker();
    // Long on the volunteer (it must still run when the owner comes back), short elsewhere.
    const spin = spinCommand(marker, 60);
    const jobId = await submit(alice, `test "$KESTREL_ATTEMPT" -gt 1 || ${spin}`, 1);
    await until(() => cpuOf(marker) > 0, 'the task computing on the volunteer');
    // Another worker comes: nothing is queued, so it gets nothing yet.
    await pool.startWorker('other', { slots: 1 });

    idle.seconds = 0; // the owner is back, and stays
    await waitForState(v, (s) => s.suspended === 1, 'the task suspended');
    await until(() => log.some((l) => l.includes('giving tasks back')), 'the task given back');
    const finished = await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(finished).toMatchObject({ done: 1, failed: 0 });
    // Done by the other worker, in a new attempt; the give-back did not count as lost.
    expect(doneBy(pool, jobId)).toEqual({ worker: pool.workerJids.get('other'), attempt: 2 });
    expect(pool.query('SELECT lost FROM tasks WHERE job_id = ?', jobId)).toEqual([{ lost: 0 }]);
    await waitForState(v, (s) => s.running === 0, 'nothing left on the volunteer');
    // The volunteer's own history says what happened to it.
    const [entry] = v.history().items;
    expect(entry).toMatchObject({
      jobId,
      index: 0,
      attempt: 1,
      submitter: alice.jid,
      manager: pool.managerJid,
      note: expect.stringMatching(/^given back: held more than 2 s \(user_active\)$/),
    });
  });

  it('refuses a blocked submitter’s tasks, which run elsewhere, and still after a restart', async () => {
    pool = await createPool(server);
    const mallory = await pool.user('mallory');
    const first = await volunteer(pool, { cpuCap: 10, blockedSubmitters: [mallory.jid] });
    const api = createVolunteerApi(first.volunteer, { version: 'test' });

    const refusedJob = await submit(mallory, 'echo hi', 1);
    await until(() => first.log.some((l) => l.includes('refused a task')), 'the refusal');
    // Nobody else can run it yet: it waits in the queue, not failed, not lost.
    expect(await mallory.ask({ type: 'status', job_id: refusedJob })).toMatchObject({
      jobs: [{ queued: 1, running: 0, failed: 0 }],
    });
    await pool.startWorker('other', { slots: 1 });
    await mallory.waitFor((r) => r.type === 'job_finished' && r.job_id === refusedJob);
    expect(doneBy(pool, refusedJob)?.worker).toBe(pool.workerJids.get('other'));

    // Someone else's job still runs on the volunteer (the other worker busy meanwhile).
    const alice = await pool.user();
    const fine = await submit(alice, 'sleep 1; echo ok', 2);
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === fine);
    expect(runs(pool, fine, 2)).toEqual([1, 1]);
    const page = await api.handlers['volunteer:history']!({ limit: 10 });
    // Workers are filled in the order the manager met them: the volunteer took one of the two.
    expect(page.items).toMatchObject([{ jobId: fine, submitter: alice.jid, exitCode: 0 }]);
    expect(page.items[0]?.cpuSeconds).toBeGreaterThanOrEqual(0);

    // The block was saved: a restart of the volunteer refuses mallory again.
    await first.volunteer.stop();
    await pool.workers.get('other')!.kill('SIGTERM');
    const again = await volunteer(pool, {}, { dataDir: first.dataDir, user: first.user });
    expect(again.volunteer.snapshot().settings.blockedSubmitters).toEqual([mallory.jid]);
    const later = await submit(mallory, 'echo again', 1);
    await until(() => again.log.some((l) => l.includes('refused a task')), 'the refusal again');
    expect(await mallory.ask({ type: 'status', job_id: later })).toMatchObject({
      jobs: [{ queued: 1, running: 0 }],
    });

    // And `kestrel worker history` shows what ran here, from the data directory alone.
    const { stdout } = await promisify(execFile)(NODE, [
      MAIN,
      'worker',
      'history',
      '--data-dir',
      first.dataDir,
    ]);
    expect(stdout.split('\n')[0]).toMatch(/^STARTED\s+TASK\s+SUBMITTER/);
    expect(stdout).toContain(`${fine}.${page.items[0]?.index}#1`);
    expect(stdout).toContain(alice.jid);
    expect(stdout).not.toContain(mallory.jid);
    expect(again.volunteer.snapshot().totals).toMatchObject({ tasks: 1, today: { tasks: 1 } });
  });
});
