// The `kestrel` command as a user runs it: submit --wait, status, cancel, --json, exit codes,
// and worker log and pid files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../harness/pool.ts';
import { kestrelEnv, runKestrel } from '../../harness/processes.ts';
import { startTestServer, uniqueUser, type TestXmppServer } from '../../harness/xmpp-server.ts';

let server: TestXmppServer;
let pool: Pool | undefined;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const kestrel = runKestrel;

async function userEnv(p: Pool): Promise<NodeJS.ProcessEnv> {
  const user = uniqueUser('cli');
  await server.createAccount(user, 'cli-password');
  return kestrelEnv({
    KESTREL_SERVER: server.service,
    KESTREL_JID: `${user}@${server.domain}`,
    KESTREL_PASSWORD: 'cli-password',
    KESTREL_MANAGER: p.managerJid,
  });
}

describe('kestrel command', () => {
  it('submits with --wait, shows progress and exits 0 when every task is done', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    const env = await userEnv(pool);
    const result = await kestrel(['submit', 'sleep 0.3; echo', '--queue', '12', '--wait'], env);
    expect(result.stderr).toMatch(/job \d+: \d+\/12/);
    expect(result.stdout).toMatch(
      /job (\d+) started \(12 tasks\)\njob \1 finished: 12 done, 0 failed, 0 cancelled/,
    );
    expect(result.code).toBe(0);

    const status = await kestrel(['status', '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      type: 'status',
      jobs: [{ done: 12, state: 'finished' }],
    });
    const table = await kestrel(['status'], env);
    expect(table.stdout).toMatch(/JOB\s+STATE\s+DONE[\s\S]*finished\s+12\/12/);
  });

  it('exits 1 when tasks fail and shows their exit codes in status', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 2 });
    const env = await userEnv(pool);
    const result = await kestrel(['submit', 'exit 7; echo', '-n', '2', '--wait', '--json'], env);
    expect(result.code).toBe(1);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[1]).toMatchObject({ type: 'job_finished', done: 0, failed: 2 });
    const status = await kestrel(['status', String(lines[0]?.job_id)], env);
    expect(status.stdout).toContain('index 0: exit 7');
  });

  it('cancels a job, and reports unknown jobs and bad usage with distinct exit codes', async () => {
    pool = await createPool(server);
    await pool.startWorker('a', { slots: 1 });
    const env = await userEnv(pool);
    const submitted = await kestrel(['submit', 'sleep 300; echo', '--queue', '3', '--json'], env);
    const jobId = (JSON.parse(submitted.stdout) as { job_id: number }).job_id;
    const cancelled = await kestrel(['cancel', String(jobId)], env);
    expect(cancelled).toMatchObject({ code: 0, stdout: `cancelled job ${jobId} (3 tasks)\n` });
    expect(await kestrel(['cancel', '424242'], env)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no job 424242'),
    });
    expect(await kestrel(['status', 'abc'], env)).toMatchObject({ code: 2 });
    expect(await kestrel(['frobnicate'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown command 'frobnicate'"),
    });
    expect(await kestrel(['submit', 'true', '--queue', '1', '--bogus'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--bogus'),
    });
    expect(await kestrel(['submit', 'true'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--queue'),
    });
  });

  it('fails with exit 3 and a clear message on a wrong password or an absent manager', async () => {
    pool = await createPool(server);
    const env = await userEnv(pool);
    const wrong = await kestrel(['status'], { ...env, KESTREL_PASSWORD: 'wrong' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/cannot log in/);
    await pool.manager.kill('SIGKILL');
    const absent = await kestrel(['status'], env);
    expect(absent.code).toBe(3);
    expect(absent.stderr).toMatch(/not online|no answer/);
  });

  it('keeps a log file and a pid file per worker under the data directory', async () => {
    pool = await createPool(server);
    const worker = await pool.startWorker('logged', { slots: 1 });
    const pidFile = join(pool.dataDir, 'workers', 'logged.pid');
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(worker.pid));
    expect(readFileSync(join(pool.dataDir, 'workers', 'logged.log'), 'utf8')).toContain(
      'worker online',
    );
    await worker.kill('SIGTERM');
    expect(existsSync(pidFile)).toBe(false);
  });
});
