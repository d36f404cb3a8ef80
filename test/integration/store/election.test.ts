// Active and standby managers on one PostgreSQL store, in one process: who may write, how the lock
// changes hands, and that a deposed manager's writes are refused by the epoch check inside the
// write itself (whatever the deposed manager believes). The same with real processes killed and
// frozen: test/integration/manager/takeover.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../../src-main/manager/core/types.ts';
import { readManagerStatus } from '../../../src-main/manager/manager-status.ts';
import {
  openManagerStore,
  StoreError,
  type ManagerStore,
} from '../../../src-main/manager/store.ts';
import { usePostgres } from '../../harness/use-postgres.ts';

const postgres = usePostgres();
const open: ManagerStore[] = [];

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((s) => s.close()));
});

const spec: JobSpec = { command: 'x', queue: 1, requires: [], cores: 1, ram: 0, retries: 0 };

async function manager(url: string, name: string): Promise<ManagerStore> {
  const store = await openManagerStore(url, { name });
  open.push(store);
  return store;
}

const lost = (store: ManagerStore) =>
  new Promise<StoreError>((resolve) => store.election?.onLost(resolve));

describe('election on a PostgreSQL store', () => {
  it('lets the first manager win and write; the others wait as standbys and may not write', async () => {
    const url = await postgres().createDatabase();
    const a = await manager(url, 'a');
    const b = await manager(url, 'b');
    expect(await a.election?.win()).toBe(1);
    let bWon = false;
    // Still waiting when the test closes it: win() then rejects, which nobody needs.
    b.election?.win().then(
      () => (bWon = true),
      () => undefined,
    );
    await expect(b.insertJob('alice@pool', 'alice@pool/im', spec, 1)).rejects.toMatchObject({
      code: 'not_active',
    });
    await a.insertJob('alice@pool', 'alice@pool/im', spec, 1);
    const status = await readManagerStatus(url);
    expect(status).toMatchObject({ epoch: 1, active: { name: 'a', epoch: 1 }, standbys: ['b'] });
    expect(status.takeovers).toEqual([{ epoch: 1, name: 'a', at: expect.any(String) }]);
    expect(a.election?.holds()).toBe(true);
    expect(b.election?.holds()).toBe(false);
    expect(bWon).toBe(false);
  });

  it('hands over when the active manager stops: the standby wins the next epoch and sees its writes', async () => {
    const url = await postgres().createDatabase();
    const a = await manager(url, 'a');
    const b = await manager(url, 'b');
    await a.election?.win();
    const job = await a.insertJob('alice@pool', 'alice@pool/im', spec, 1);
    const bWins = b.election!.win();
    await a.close();
    expect(await bWins).toBe(2);
    expect((await b.jobs()).map((j) => j.info.id)).toEqual([job.id]);
    await b.insertJob('bob@pool', 'bob@pool/im', spec, 2);
    expect((await readManagerStatus(url)).active).toMatchObject({ name: 'b', epoch: 2 });
  });

  it('refuses every write of a deposed manager once another took over, and tells it', async () => {
    const url = await postgres().createDatabase();
    const a = await manager(url, 'a');
    const b = await manager(url, 'b');
    await a.election?.win();
    const job = await a.insertJob('alice@pool', 'alice@pool/im', spec, 1);
    const aLost = lost(a);
    const bWins = b.election!.win();
    // What PostgreSQL does to the lock session of a manager that froze or was cut off.
    await postgres().query(
      url,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kestrel-manager:a'",
    );
    expect((await aLost).code).toBe('lock_lost');
    expect(a.election?.holds()).toBe(false);
    expect(await bWins).toBe(2);
    const dispatch = {
      kind: 'dispatch' as const,
      worker: 'w@pool/x',
      tasks: [
        {
          jobId: job.id,
          index: 0,
          attempt: 1,
          command: 'x',
          cores: 1,
          ram: 0,
          owner: 'alice@pool',
        },
      ],
    };
    // a still believes its epoch is 1: the store refuses it all the same.
    for (const write of [
      a.apply([dispatch]),
      a.insertJob('alice@pool', 'alice@pool/im', spec, 2),
      a.markNotified(job.id),
      a.deleteJobs([job.id]),
    ]) {
      const error = await write.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'fenced' });
    }
    expect(await b.openTasks()).toEqual([]);
    expect((await b.jobs()).map((j) => [j.info.id, j.notified])).toEqual([[job.id, false]]);
    await b.apply([dispatch]);
    expect(
      await postgres().query(url, 'SELECT job_id, idx, attempt, epoch FROM assignments'),
    ).toEqual([{ job_id: String(job.id), idx: 0, attempt: 1, epoch: '2' }]);
  });
});
