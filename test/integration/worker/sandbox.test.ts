// A real `kestrel worker` in a real pool, from the side of a stranger's task: what it can see of
// the worker (its password, its files, its process), and whether cancel leaves any of its
// processes behind. Where bubblewrap does not work the worker says so, and --require-sandbox
// refuses to start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../harness/pool.ts';
import { kestrelEnv, startKestrel } from '../../harness/processes.ts';
import { FIXTURES, processesWith, until } from '../../harness/task-output.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';
import { probeSandbox } from '../../../src-main/worker/sandbox.ts';

const sandboxed = probeSandbox().isolation.kind === 'bubblewrap';
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

// Each check exits with its own code, so a failure says which one the task got past.
const PROBE = [
  '[ -z "${KESTREL_PASSWORD-}" ] || exit 11',
  '! env | grep -q test-password || exit 12',
  // From its working directory DATA_DIR/work/NAME/job-J/task-I-A, the worker's data directory.
  '[ ! -e ../../../../manager.db ] || exit 13',
  '[ ! -e ../../../../workers ] || exit 14',
  'echo',
].join('; ');

describe(`a task on a real worker (${process.env.KESTREL_TEST_SERVER ?? 'prosody'})`, () => {
  it.runIf(sandboxed)('sees neither the worker’s password nor its data directory', async () => {
    pool = await createPool(server);
    const worker = await pool.startWorker('w', { slots: 1 });
    const alice = await pool.user();
    const started = await alice.ask({ type: 'job', command: PROBE, queue: 1 });
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === started.job_id);
    const [task] = pool.query<{ state: string; exit_code: number }>(
      'SELECT state, exit_code FROM tasks WHERE job_id = ?',
      started.job_id as number,
    );
    expect(task).toEqual({ state: 'done', exit_code: 0 });
    expect(worker.output()).toContain('tasks run sandboxed: bubblewrap');
  });

  it('is killed with everything it started when its job is cancelled', async () => {
    pool = await createPool(server);
    await pool.startWorker('w', { slots: 1 });
    const alice = await pool.user();
    const marker = String(Math.floor(Math.random() * 1e9)).padStart(9, '1');
    const command = `sh ${join(FIXTURES, 'escape.sh')} ${marker} 300`;
    const started = await alice.ask({ type: 'job', command, queue: 1 });
    await until(() => processesWith(`300.${marker}`).length === 2, 'the escaped processes');
    await alice.ask({ type: 'cancel', job_id: started.job_id });
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === started.job_id);
    await until(() => processesWith(`300.${marker}`).length === 0, 'no process of the task left');
  });
});

describe('a worker where no sandbox works', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kestrel-unsandboxed-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  // No bwrap on PATH: as on a machine without bubblewrap. Nothing listens on port 1.
  const env = () =>
    kestrelEnv({
      PATH: '/nonexistent',
      KESTREL_SERVER: 'xmpp://127.0.0.1:1',
      KESTREL_JID: 'w@example.test',
      KESTREL_PASSWORD: 'unused',
      KESTREL_MANAGER: 'manager@example.test',
      KESTREL_DATA_DIR: dataDir,
    });

  it.runIf(process.platform === 'linux')('says tasks run unsandboxed, and why', async () => {
    const worker = startKestrel('unsandboxed', ['worker', '--name', 'plain'], env());
    try {
      await worker.waitForOutput('tasks run unsandboxed: bubblewrap (bwrap) is not installed');
    } finally {
      await worker.kill('SIGKILL');
    }
  });

  it('refuses to start with --require-sandbox', async () => {
    const worker = startKestrel('required', ['worker', '--require-sandbox'], env());
    expect(await worker.exited).toEqual({ code: 1, signal: null });
    expect(worker.output()).toMatch(/kestrel worker: a sandbox is required but .+\n/);
  });
});
