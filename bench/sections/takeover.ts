// How long a pool is without a manager when the active one dies (SIGKILL) or freezes (SIGSTOP):
// from the signal to the first task the new active manager dispatches, as PostgreSQL stamped it
// (the first `assignments` row of the new epoch). Two kestrel manager processes share a durable
// PostgreSQL store on a two-node ejabberd cluster, each logged in on another node; simulated
// workers run a job of 10,000 no-op tasks, started afresh every round (what a new manager restores
// grows with the open jobs' task rows). After each round the deposed manager is started again as
// a standby, so the next round hits the other one.
import type { TestEjabberdCluster } from '../../test/harness/ejabberd-cluster.ts';
import { createPool, type Pool } from '../../test/harness/pool.ts';
import { startPostgres } from '../../test/harness/postgres.ts';
import type { KestrelProcess } from '../../test/harness/processes.ts';
import { distribution, type Results } from '../lib/results.ts';
import { createSimPool, PASSWORD } from '../lib/sim-pool.ts';

const WORKERS = 20;
const TAKEOVER_AFTER_S = 3;

async function epochTimes(pool: Pool, epoch: number) {
  const ms = (column: string, table: string) =>
    `SELECT (extract(epoch from ${column}) * 1000)::float8 AS ms FROM ${table} WHERE epoch = ?`;
  for (;;) {
    const [first] = await pool.store.query<{ ms: number | null }>(
      ms('min(at)', 'assignments'),
      epoch,
    );
    const [began] = await pool.store.query<{ ms: number | null }>(ms('began_at', 'epochs'), epoch);
    if (first?.ms != null && began?.ms != null) return { began: began.ms, first: first.ms };
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function takeover(
  results: Results,
  server: TestEjabberdCluster,
  rounds: number,
): Promise<void> {
  const postgres = await startPostgres({ durable: true });
  let pool: Pool | undefined;
  const sims = await createSimPool(server, 1);
  try {
    const [node1 = '', node2 = ''] = server.services;
    const store = await postgres.createDatabase();
    const args = ['--ping-interval', '2', '--takeover-after', String(TAKEOVER_AFTER_S)];
    pool = await createPool(server, args, { store, manager: { name: 'm1', server: node1 } });
    const p = pool;
    const names = new Map<string, KestrelProcess>([['m1', p.manager]]);
    const serverOf = (name: string) => (name === 'm1' ? `${node1},${node2}` : `${node2},${node1}`);
    names.set(
      'm2',
      await p.startManager(args, { name: 'm2', standby: true, server: serverOf('m2') }),
    );
    const workers = Array.from({ length: WORKERS }, (_, i) => ({
      username: `tw-${i}`,
      password: PASSWORD,
      resource: `tw-${i}`,
    }));
    await Promise.all(workers.map((w) => server.createAccount(w.username, w.password)));
    await sims.connect(workers, { mode: 'instant', peer: p.managerJid });
    const user = await p.user();

    let active = 'm1';
    let epoch = 1;
    const figures: Record<string, { toEpochMs: number[]; toFirstDispatchMs: number[] }> = {};
    for (const signal of ['SIGKILL', 'SIGSTOP'] as const) {
      const out = { toEpochMs: [] as number[], toFirstDispatchMs: [] as number[] };
      figures[signal] = out;
      for (let round = 0; round < rounds; round += 1) {
        const victim = names.get(active);
        if (!victim) throw new Error(`no manager ${active}`);
        const standby = active === 'm1' ? 'm2' : 'm1';
        await user.ask({ type: 'cancel' }, 30_000);
        await user.ask({ type: 'job', command: 'true', queue: 10_000 }, 30_000);
        // Half a second of steady work first, so tasks flow when the manager goes.
        await new Promise((r) => setTimeout(r, 500));
        const at = Date.now();
        if (signal === 'SIGKILL') await victim.kill('SIGKILL');
        else victim.child.kill('SIGSTOP');
        epoch += 1;
        const t = await epochTimes(p, epoch);
        out.toEpochMs.push(t.began - at);
        out.toFirstDispatchMs.push(t.first - at);
        if (signal === 'SIGSTOP') {
          victim.child.kill('SIGCONT');
          await victim.exited;
        }
        names.set(
          active,
          await p.startManager(args, { name: active, standby: true, server: serverOf(active) }),
        );
        active = standby;
      }
    }
    for (const [signal, f] of Object.entries(figures))
      results.record(`takeover-${signal.toLowerCase()}`, {
        signal,
        rounds,
        takeoverAfterS: TAKEOVER_AFTER_S,
        setup: `2 managers on a durable PostgreSQL, each on another node of a 2-node ejabberd cluster; ${WORKERS} simulated workers`,
        toNewEpochMs: distribution(f.toEpochMs),
        toFirstDispatchMs: distribution(f.toFirstDispatchMs),
        toFirstDispatchAllMs: f.toFirstDispatchMs.map((x) => Math.round(x)),
      });
    await user.ask({ type: 'cancel' }, 30_000);
  } finally {
    await sims.close();
    await pool?.close();
    await postgres.stop();
  }
}
