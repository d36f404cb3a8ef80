// Found by the chaos run: frozen idle workers (suspended laptops) still look available, so before
// the manager pinged idle workers and gave up a failed ping round together, a task went from one
// frozen worker to the next and failed ("lost 5 times") while a healthy worker stood by.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createPool, type Pool } from '../../harness/pool.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';

let server: TestXmppServer;
let pool: Pool | undefined;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  for (const w of pool?.workers.values() ?? []) w.child.kill('SIGCONT');
  await pool?.close();
  pool = undefined;
});

describe(`frozen idle workers (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it('do not use up a task’s losses: five frozen, one healthy, every task done', async () => {
    pool = await createPool(server, ['--ping-interval', '1']);
    const names = ['f1', 'f2', 'f3', 'f4', 'f5', 'ok'];
    for (const name of names) await pool.startWorker(name, { slots: 1 });
    for (const name of names.slice(0, 5)) pool.workers.get(name)!.child.kill('SIGSTOP');
    const alice = await pool.user();
    const started = await alice.ask({ type: 'job', command: 'true', queue: 3 });
    const finished = await alice.waitFor(
      (r) => r.type === 'job_finished' && r.job_id === started.job_id,
      60_000,
    );
    expect(finished).toMatchObject({ done: 3, failed: 0 });
    const rows = pool.query<{ lost: number; worker: string }>(
      'SELECT lost, worker FROM tasks WHERE job_id = ?',
      started.job_id as number,
    );
    expect(rows.every((r) => r.lost <= 1 && r.worker.endsWith('/ok'))).toBe(true);
  });
});
