// The volunteer controller (the desktop app's worker, without Electron) against a real manager on
// a real XMPP server, with real tasks whose CPU time is read from /proc: "pause now" and owner
// activity suspend the running task (its CPU time stops) and resume it where it stood; "finish
// current tasks, then pause" lets it finish and takes nothing new; a new CPU cap offers its
// slots at once, without a new login and without rerunning a task.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VolunteerSettings } from '../../../shared/api.ts';
import { readProfile } from '../../../src-main/worker/profile.ts';
import { cpuOf, expectStopped, newMarker, startControl, until } from '../../harness/cpu-time.ts';
import { createPool, type Pool } from '../../harness/pool.ts';
import {
  runs,
  spinCommand,
  startVolunteer as start,
  submit,
  waitForState,
  type Running,
} from '../../harness/volunteer.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';

const TASK_SECONDS = 2;

let server: TestXmppServer;
let pool: Pool | undefined;
let started: Running | undefined;
const cleanup: (() => void)[] = [];

async function startVolunteer(
  p: Pool,
  settings: Partial<VolunteerSettings>,
  options: { pollMs?: number } = {},
): Promise<Running> {
  started = await start(server, p, settings, options);
  return started;
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await started?.volunteer.stop();
  started?.remove();
  started = undefined;
  await pool?.close();
  pool = undefined;
  for (const undo of cleanup.splice(0)) undo();
});

/** Working directories of the volunteer's running tasks: DATA_DIR/work/desk/job-J/task-I-A. */
function running(dataDir: string): string[] {
  const work = join(dataDir, 'work', 'desk');
  if (!existsSync(work)) return [];
  return readdirSync(work).flatMap((job) => {
    try {
      return readdirSync(join(work, job)).filter((task) => task.startsWith('task-'));
    } catch {
      return []; // the job's directory went with its last task
    }
  });
}

describe(`volunteer (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('pause now suspends the running task where it stands and resume continues it', async () => {
    pool = await createPool(server);
    const { volunteer: v } = await startVolunteer(pool, { cpuCap: 10 });
    const control = startControl();
    cleanup.push(control.stop);
    const alice = await pool.user();
    const marker = newMarker();
    const jobId = await submit(alice, spinCommand(marker, 2), 1);
    await until(() => cpuOf(marker) > 0, 'the task computing');

    const paused = await v.pause();
    expect(paused).toMatchObject({ state: 'paused', reason: 'paused', suspended: 1 });
    expect(paused.tasks).toMatchObject([{ jobId, index: 0, attempt: 1, suspended: true }]);
    await expectStopped(marker, control.marker);

    await v.resume();
    await waitForState(v, (s) => s.state === 'working' && s.suspended === 0, 'working again');
    const finished = await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(finished).toMatchObject({ done: 1, failed: 0 });
    // The same attempt finished: it was suspended, not killed and run again.
    expect(runs(pool, jobId, 1)).toEqual([1]);
  });

  it('finish current tasks, then pause: the running task finishes and nothing new comes', async () => {
    pool = await createPool(server);
    const { volunteer: v, dataDir } = await startVolunteer(pool, { cpuCap: 10 });
    const alice = await pool.user();
    const jobId = await submit(alice, `sleep ${TASK_SECONDS}; echo`, 3);
    await until(() => running(dataDir).length === 1, 'the first task running');

    const paused = await v.pause('finish');
    expect(paused).toMatchObject({ state: 'paused', reason: 'paused', running: 1, suspended: 0 });
    expect(paused.settings).toMatchObject({ paused: true, pauseMode: 'finish' });
    await until(() => runs(pool!, jobId, 3).filter((n) => n > 0).length === 1, 'one task done');
    await waitForState(
      v,
      (s) => s.state === 'paused' && s.running === 0,
      'paused, nothing running',
    );
    // The manager stored the result and had its chance to hand out more: none went here, not
    // even ahead of a slot.
    expect(await alice.ask({ type: 'status', job_id: jobId })).toMatchObject({
      jobs: [{ job_id: jobId, done: 1, running: 0, queued: 2 }],
    });
    expect(
      pool.query("SELECT idx FROM tasks WHERE job_id = ? AND state = 'running'", jobId),
    ).toEqual([]);

    await v.resume();
    await waitForState(v, (s) => s.state === 'working', 'working again');
    const finished = await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(finished).toMatchObject({ done: 3, failed: 0 });
    // The running task finished in its first attempt; a task held ahead of the slot was given
    // back at the pause, unstarted, and ran after the resume in a new attempt. Each ran here once.
    const [first, ...rest] = runs(pool, jobId, 3);
    expect(first).toBe(1);
    expect(rest.every((attempt) => attempt >= 1)).toBe(true);
    expect(
      v
        .history()
        .items.map((item) => item.index)
        .sort(),
    ).toEqual([0, 1, 2]);
  });

  it('"only when I am away": input suspends the task within a look, leaving resumes it', async () => {
    pool = await createPool(server);
    // The default look interval (1 s): the figure below is what a volunteer would see.
    const started = await startVolunteer(
      pool,
      { cpuCap: 10, onlyWhenIdle: true, idleSeconds: 60 },
      { pollMs: 1000 },
    );
    const { volunteer: v, idle } = started;
    const control = startControl();
    cleanup.push(control.stop);
    const alice = await pool.user();
    const marker = newMarker();
    const jobId = await submit(alice, spinCommand(marker, 2), 1);
    await until(() => cpuOf(marker) > 0, 'the task computing');

    const pressed = performance.now();
    idle.seconds = 0; // a key was pressed
    const held = await waitForState(v, (s) => s.suspended === 1, 'the task suspended');
    const latency = performance.now() - pressed;
    process.stderr.write(
      `[figure] owner activity to tasks suspended: ${latency.toFixed(0)} ms (look every 1000 ms)\n`,
    );
    expect(held).toMatchObject({ state: 'paused', reason: 'user_active' });
    await expectStopped(marker, control.marker);

    idle.seconds = 61; // away again, for longer than idleSeconds
    await waitForState(v, (s) => s.state === 'working' && s.suspended === 0, 'working again');
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(runs(pool, jobId, 1)).toEqual([1]);
    expect(v.snapshot().settings.paused).toBe(false);
  });

  it('a new CPU cap offers its slots at once, without a new login, while the task runs', async () => {
    const { cores } = await readProfile();
    if (cores < 2) return; // one core gives one slot at any cap: nothing to see
    pool = await createPool(server);
    const { volunteer: v, log, dataDir } = await startVolunteer(pool, { cpuCap: 10 });
    const alice = await pool.user();
    const queue = 3;
    const jobId = await submit(alice, `sleep ${TASK_SECONDS}; echo`, queue);
    await until(() => running(dataDir).length === 1, 'the first task running');

    const changed = await v.setSettings({ cpuCap: 100 });
    expect(changed).toMatchObject({ slots: cores, settings: { cpuCap: 100 } });
    // The manager took the profile update: a second task runs beside the first.
    await until(() => running(dataDir).length === 2, 'two tasks at once', 15_000);
    expect(log.filter((l) => l.includes('offering a new number of slots'))).toHaveLength(1);
    expect(log.filter((l) => l.includes('worker online'))).toHaveLength(1);
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(runs(pool, jobId, queue)).toEqual(Array(queue).fill(1));
  });
});
