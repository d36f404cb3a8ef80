// PostgreSQL beside SQLite: the same job of no-op tasks on the same simulated workers, run by a
// manager on each store in turn, on the same XMPP server in the same run. PostgreSQL is durable as
// in production (fsync and synchronous commit on), on a Unix socket; SQLite as the manager runs it
// (WAL, synchronous=NORMAL). Each batch of the outbox is one transaction on either.
import { startPostgres } from '../../test/harness/postgres.ts';
import type { BenchContext } from '../lib/context.ts';
import { createSimPool } from '../lib/sim-pool.ts';
import { latency, PER_HOST, runJob } from './throughput.ts';

export async function store(ctx: BenchContext): Promise<void> {
  const w = ctx.sizes.workers[0] ?? 100;
  const postgres = await startPostgres({ durable: true });
  try {
    for (const kind of ['sqlite', 'postgres'] as const) {
      const args = kind === 'postgres' ? ['--store', await postgres.createDatabase()] : [];
      await ctx.restartManager(args);
      const sims = await createSimPool(ctx.server, Math.ceil(w / PER_HOST));
      try {
        await sims.connect(ctx.accountsOf('w', w), { mode: 'instant', peer: ctx.pool.managerJid });
        const figures = await runJob(ctx, sims, ctx.sizes.tasks);
        ctx.record(`store-${kind}`, {
          store: kind,
          durability:
            kind === 'postgres' ? 'fsync on, synchronous_commit on' : 'WAL, synchronous=NORMAL',
          workers: w,
          ...figures,
          ...(await latency(ctx, sims, 20)),
        });
      } finally {
        await sims.close();
      }
    }
  } finally {
    // The next section gets the default manager (SQLite) back.
    await ctx.restartManager();
    await postgres.stop();
  }
}
