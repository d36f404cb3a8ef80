// `kestrel workers start N|stop|clean|list`, as seed 004's operators use `fab queue.start/stop/clean`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, POOL_PASSWORD, type Pool } from '../../harness/pool.ts';
import { kestrelEnv, runKestrel } from '../../harness/processes.ts';
import { startTestServer, uniqueUser, type TestXmppServer } from '../../harness/xmpp-server.ts';

let server: TestXmppServer;
let pool: Pool;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startTestServer();
  pool = await createPool(server);
  const user = uniqueUser('group');
  await server.createAccount(user, POOL_PASSWORD);
  env = kestrelEnv({
    KESTREL_SERVER: server.service,
    KESTREL_JID: `${user}@${server.domain}`,
    KESTREL_PASSWORD: POOL_PASSWORD,
    KESTREL_MANAGER: pool.managerJid,
    KESTREL_DATA_DIR: join(pool.dataDir, 'group'),
  });
});
afterAll(async () => {
  await runKestrel(['workers', 'stop'], env);
  await pool?.close();
  await server?.stop();
});

interface Listed {
  name: string;
  pid: number;
  alive: boolean;
}

/** Whether a process runs (an exited one whose parent has gone may linger as a zombie). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.charAt(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

const list = async () =>
  JSON.parse((await runKestrel(['workers', 'list', '--json'], env)).stdout) as Listed[];

describe('kestrel workers', () => {
  it('starts N workers that take work, stops them all by their pid files, and cleans up', async () => {
    const started = await runKestrel(
      ['workers', 'start', '3', '--prefix', 'w', '--slots', '1'],
      env,
    );
    expect(started.stdout).toMatch(/started 3 of 3 workers \(w-1, w-2, w-3\)/);
    expect(started.code).toBe(0);
    const running = await list();
    expect(running.map((w) => [w.name, w.alive])).toEqual([
      ['w-1', true],
      ['w-2', true],
      ['w-3', true],
    ]);

    const alice = await pool.user();
    const job = await alice.ask({ type: 'job', command: 'true', queue: 9 });
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === job.job_id);
    const workers = pool.query<{ worker: string }>(
      'SELECT DISTINCT worker FROM tasks WHERE job_id = ? ORDER BY worker',
      job.job_id as number,
    );
    expect(workers.length).toBeGreaterThan(1); // spread over the group

    // Starting more adds to the group under new names.
    expect((await runKestrel(['workers', 'start', '1', '--prefix', 'w'], env)).stdout).toMatch(
      /started 1 of 1 workers \(w-4\)/,
    );

    const stopped = await runKestrel(['workers', 'stop'], env);
    expect(stopped.stdout).toMatch(/stopped 4 workers/);
    for (const { pid } of running) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    const dir = join(pool.dataDir, 'group');
    expect(readdirSync(join(dir, 'workers')).filter((f) => f.endsWith('.pid'))).toEqual([]);
    expect(existsSync(join(dir, 'workers', 'w-1.log'))).toBe(true);

    const cleaned = await runKestrel(['workers', 'clean'], env);
    expect(cleaned.stdout).toMatch(/removed the logs and work directories of 4 workers/);
    expect(readdirSync(join(dir, 'workers'))).toEqual([]);
    expect(existsSync(join(dir, 'work', 'w-1'))).toBe(false);
  });

  it('says which workers could not start, with the reason from their log', async () => {
    const wrong = { ...env, KESTREL_PASSWORD: 'wrong' };
    const result = await runKestrel(['workers', 'start', '1', '--prefix', 'bad'], wrong);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/started 0 of 1 workers/);
    expect(result.stdout).toMatch(/bad-1: exited/);
  });
});
