// Prefetch end to end (docs/PROTOCOL.md, "Prefetch"): real `kestrel worker` processes are handed
// tasks ahead of their free slots, run no more than their slots at once, start a queued task when
// a slot frees, and a worker killed with tasks queued gives them all back to the pool. Tasks end
// when the test says so (gate.sh), never after a delay.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../harness/pool.ts';
import {
  FIXTURES,
  linesOf,
  outputDir,
  processesWith,
  processGroup,
  runningPids,
  until,
} from '../../harness/task-output.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';

const GATE = join(FIXTURES, 'gate.sh');

let server: TestXmppServer;
let pool: Pool | undefined;
let out: string | undefined;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  if (out) writeFileSync(join(out, 'go-all'), ''); // no task of this test outlives it
  await pool?.close();
  pool = undefined;
  if (out) rmSync(out, { recursive: true, force: true });
  out = undefined;
});

interface Row {
  idx: number;
  state: string;
  attempt: number;
  worker: string | null;
}

const rows = (jobId: number): Row[] =>
  pool!.query<Row>(
    'SELECT idx, state, attempt, worker FROM tasks WHERE job_id = ? ORDER BY idx',
    jobId,
  );
const heldBy = (jobId: number, name: string) =>
  rows(jobId).filter((r) => r.state === 'running' && r.worker?.endsWith(`/${name}`) === true);
const open = (dir: string, index: number | 'all') => writeFileSync(join(dir, `go-${index}`), '');

describe(`prefetch (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('runs no more tasks than its slots, and starts the one queued ahead when a slot frees', async () => {
    pool = await createPool(server);
    const dir = (out = outputDir());
    await pool.startWorker('one', { slots: 1 });
    const alice = await pool.user();
    const started = await alice.ask({ type: 'job', command: `sh ${GATE} ${dir}`, queue: 3 });
    const jobId = started.job_id as number;
    // One slot, one more ahead: two tasks are the worker's, one runs.
    await until(() => heldBy(jobId, 'one').length === 2, 'two tasks assigned to the worker');
    await until(() => runningPids(dir).length === 1, 'the first task to start');
    expect(heldBy(jobId, 'one').map((r) => r.idx)).toEqual([0, 1]);
    expect(await alice.ask({ type: 'status', job_id: jobId })).toMatchObject({
      jobs: [{ running: 1, queued: 2 }],
    });

    open(dir, 0);
    // The queued task starts in the freed slot, as sent (attempt 1); task 2 is sent ahead.
    await until(() => linesOf(dir, 0).length === 1 && runningPids(dir).length === 1, 'task 1');
    await until(
      () =>
        heldBy(jobId, 'one')
          .map((r) => r.idx)
          .join() === '1,2',
      'task 2 ahead',
    );
    expect(processesWith(`${dir} 2`), 'task 2 waits for the slot').toEqual([]);
    open(dir, 'all');
    const finished = await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(finished).toMatchObject({ done: 3, failed: 0 });
    expect(rows(jobId).map((r) => r.attempt)).toEqual([1, 1, 1]);
    for (const i of [0, 1, 2]) expect(linesOf(dir, i), `index ${i}`).toHaveLength(1);
  });

  it('requeues the tasks a killed worker held ahead with its running one; each index runs to the end once', async () => {
    pool = await createPool(server);
    const dir = (out = outputDir());
    const doomed = await pool.startWorker('doomed', { slots: 1 });
    const alice = await pool.user();
    const started = await alice.ask({ type: 'job', command: `sh ${GATE} ${dir}`, queue: 4 });
    const jobId = started.job_id as number;
    await until(() => heldBy(jobId, 'doomed').length === 2, 'a task running and one ahead');
    await until(() => runningPids(dir).length === 1, 'the first task to start');

    // The machine dies: the worker and the processes of the task it runs.
    const groups = new Set(processesWith(dir).map(processGroup));
    await doomed.kill('SIGKILL');
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Gone with the worker already (the sandbox dies with its parent).
      }
    }
    await pool.manager.waitForOutput('requeued 2 tasks', 15_000);
    await pool.startWorker('spare', { slots: 2 });
    open(dir, 'all');
    const finished = await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(finished).toMatchObject({ done: 4, failed: 0 });
    const after = rows(jobId);
    expect(after.every((r) => r.state === 'done' && r.worker?.endsWith('/spare'))).toBe(true);
    // Both tasks the dead worker held were handed out again (a new attempt each).
    expect(after.map((r) => r.attempt)).toEqual([2, 2, 1, 1]);
    for (const i of [0, 1, 2, 3]) expect(linesOf(dir, i), `index ${i}`).toHaveLength(1);
    expect(alice.replies.filter((r) => r.type === 'job_finished')).toHaveLength(1);
  });
});
