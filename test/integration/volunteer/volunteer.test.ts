// The volunteer controller (the desktop app's worker, without Electron) against a real manager on
// a real XMPP server: pausing — by the volunteer or by the policy — lets the running task finish
// and stops new ones from coming; resuming brings work again; a new CPU cap takes effect without
// losing or rerunning a task.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VolunteerSettings, VolunteerSnapshot } from '../../../shared/ipc.ts';
import { createLogger } from '../../../src-main/common/log.ts';
import { readProfile } from '../../../src-main/worker/profile.ts';
import { createVolunteer, type Volunteer } from '../../../src-main/volunteer/controller.ts';
import { createSettingsStore, DEFAULT_SETTINGS } from '../../../src-main/volunteer/settings.ts';
import { createPool, type Pool, type UserClient } from '../../harness/pool.ts';
import { until } from '../../harness/task-output.ts';
import { startTestServer, uniqueUser, type TestXmppServer } from '../../harness/xmpp-server.ts';

const PASSWORD = 'volunteer-password-1';
const TASK_SECONDS = 2;

let server: TestXmppServer;
let pool: Pool | undefined;
let volunteer: Volunteer | undefined;
const cleanup: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await volunteer?.stop();
  volunteer = undefined;
  await pool?.close();
  pool = undefined;
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Running {
  volunteer: Volunteer;
  dataDir: string;
  /** What `idleSeconds()` reports: seconds since the (simulated) last input. */
  idle: { seconds: number };
  log: string[];
}

/** A volunteer on its own account, its settings saved beforehand as a volunteer would have. */
async function startVolunteer(p: Pool, settings: Partial<VolunteerSettings>): Promise<Running> {
  const user = uniqueUser('vol');
  await server.createAccount(user, PASSWORD);
  const dataDir = mkdtempSync(join(tmpdir(), 'kestrel-volunteer-'));
  cleanup.push(dataDir);
  createSettingsStore(dataDir).save({ ...DEFAULT_SETTINGS, notOnBattery: false, ...settings });
  const idle = { seconds: 3600 };
  const log: string[] = [];
  volunteer = createVolunteer({
    env: {
      KESTREL_SERVER: server.service,
      KESTREL_JID: `${user}@${server.domain}`,
      KESTREL_PASSWORD: PASSWORD,
      KESTREL_MANAGER: p.managerJid,
      KESTREL_DATA_DIR: dataDir,
      KESTREL_CONFIG: join(dataDir, 'no-config-file.json'),
    },
    idleSeconds: () => idle.seconds,
    onBattery: async () => false,
    name: 'desk',
    pollMs: 100,
    log: createLogger((line) => log.push(line), 'volunteer'),
  });
  await volunteer.start();
  // The manager sends tasks only after the worker's profile (docs/PROTOCOL.md).
  await until(() => log.some((l) => l.includes('manager is online; reporting')), 'profile sent');
  return { volunteer, dataDir, idle, log };
}

/** Resolves with the first snapshot (now or later) that matches. */
function waitForState(
  v: Volunteer,
  accept: (s: VolunteerSnapshot) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<VolunteerSnapshot> {
  return new Promise((resolve, reject) => {
    const check = (s: VolunteerSnapshot) => {
      if (!accept(s)) return;
      clearTimeout(timer);
      v.off('changed', check);
      resolve(s);
    };
    const timer = setTimeout(() => {
      v.off('changed', check);
      reject(
        new Error(`no snapshot ${what} in ${timeoutMs} ms; last: ${JSON.stringify(v.snapshot())}`),
      );
    }, timeoutMs);
    v.on('changed', check);
    check(v.snapshot());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The volunteer's tasks run in the sandbox, which shows them nothing of the test's files: what
// runs is seen from their working directories (which the worker makes, and removes at the end),
// what ran from the manager's store, where a task run twice would have attempt 2.
async function submit(user: UserClient, queue: number): Promise<number> {
  const started = await user.ask({ type: 'job', command: `sleep ${TASK_SECONDS}; echo`, queue });
  expect(started).toMatchObject({ type: 'job_started' });
  return started.job_id as number;
}

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

/** Per index: how often the manager recorded it done (0, or the attempt that did it). */
function runs(jobId: number, queue: number): number[] {
  const rows = pool!.query<{ idx: number; state: string; attempt: number }>(
    'SELECT idx, state, attempt FROM tasks WHERE job_id = ?',
    jobId,
  );
  return Array.from({ length: queue }, (_, i) => {
    const row = rows.find((r) => r.idx === i);
    return row?.state === 'done' ? row.attempt : 0;
  });
}
const done = (jobId: number, queue: number) => runs(jobId, queue).filter((n) => n > 0).length;

/**
 * With one task running and work still queued, `hold` pauses the volunteer; the running task
 * must finish and be reported, and nothing new may arrive; then `release` must bring work again.
 */
async function pauseAndResume(
  { volunteer: v, dataDir }: Running,
  reason: VolunteerSnapshot['reason'],
  hold: () => Promise<unknown>,
  release: () => Promise<unknown>,
): Promise<void> {
  const alice = await pool!.user();
  const jobId = await submit(alice, 3);
  await until(() => running(dataDir).length === 1, 'the first task running');
  await waitForState(v, (s) => s.state === 'working' && s.running === 1, 'working on one task');

  await hold();
  const paused = await waitForState(v, (s) => s.state === 'paused', 'paused');
  expect(paused).toMatchObject({ reason, running: 1 });

  // The running task is not killed: it finishes and its result is recorded.
  await until(() => done(jobId, 3) === 1, 'the running task to finish', 15_000);
  await waitForState(v, (s) => s.state === 'paused' && s.running === 0, 'paused, nothing running');
  // No new task arrives while paused, although two are queued and the slot is free.
  await sleep(TASK_SECONDS * 1000);
  expect(running(dataDir)).toEqual([]);
  expect(done(jobId, 3)).toBe(1);
  expect(await alice.ask({ type: 'status', job_id: jobId })).toMatchObject({
    jobs: [{ job_id: jobId, done: 1, running: 0, queued: 2 }],
  });

  await release();
  await waitForState(v, (s) => s.state === 'working', 'working again');
  const finished = await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
  expect(finished).toMatchObject({ done: 3, failed: 0 });
  expect(runs(jobId, 3)).toEqual([1, 1, 1]);
}

describe(`volunteer (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('the volunteer’s pause lets the running task finish, takes nothing new, and is saved', async () => {
    pool = await createPool(server);
    const started = await startVolunteer(pool, { cpuCap: 10 });
    const { volunteer: v, dataDir } = started;
    expect(v.snapshot()).toMatchObject({ slots: 1, manager: pool.managerJid });
    expect(v.snapshot().jid).toMatch(/^vol-[0-9a-f]+@.+\/desk$/);
    const saved = () => JSON.parse(readFileSync(join(dataDir, 'volunteer.json'), 'utf8')) as object;

    await pauseAndResume(
      started,
      'paused',
      async () => {
        await v.pause();
        expect(saved()).toMatchObject({ paused: true });
      },
      async () => {
        await v.resume();
        expect(saved()).toMatchObject({ paused: false });
      },
    );
  });

  it('"only when I am away" pauses while someone uses the machine, and resumes when they leave', async () => {
    pool = await createPool(server);
    const started = await startVolunteer(pool, {
      cpuCap: 10,
      onlyWhenIdle: true,
      idleSeconds: 60,
    });
    const { volunteer: v, idle } = started;
    await pauseAndResume(
      started,
      'user_active',
      async () => {
        idle.seconds = 0; // a key was pressed: the next look at the machine pauses
      },
      async () => {
        idle.seconds = 61;
      },
    );
    expect(v.snapshot().settings.paused).toBe(false);
  });

  it('a new CPU cap lets the running task finish, then offers the new slots', async () => {
    const { cores } = await readProfile();
    if (cores < 2) return; // one core gives one slot at any cap: nothing to see
    pool = await createPool(server);
    const { volunteer: v, log, dataDir } = await startVolunteer(pool, { cpuCap: 10 });
    const alice = await pool.user();
    const queue = 5;
    const jobId = await submit(alice, queue);
    await until(() => running(dataDir).length === 1, 'the first task running');

    const changed = await v.setSettings({ cpuCap: 100 });
    expect(changed.settings.cpuCap).toBe(100);
    // Draining: the running task goes on, nothing new starts.
    expect(changed).toMatchObject({ state: 'working', running: 1, slots: 1 });
    await until(() => done(jobId, queue) === 1, 'the running task to finish', 15_000);

    await waitForState(v, (s) => s.slots === cores, 'the new slots');
    expect(log.filter((l) => l.includes('logging in again'))).toHaveLength(1);
    await until(() => running(dataDir).length === 2, 'two tasks at once', 15_000);
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    // The drained task's result was acked before the logout: no task ran twice.
    expect(runs(jobId, queue)).toEqual(Array(queue).fill(1));
  });
});
