// What every section of the bench gets: the XMPP server, the pool (manager process and user
// clients) on it, the accounts made for simulated workers, the sizes of this run, and where to
// record figures.
import { localOf } from '../../src-main/common/jid.ts';
import { createPool, type Pool, type UserClient } from '../../test/harness/pool.ts';
import { provision } from './provision.ts';
import type { Results } from './results.ts';
import type { BenchServer } from './servers.ts';
import type { SimAccount } from './sim-protocol.ts';

export interface Sizes {
  /** Simulated workers for end-to-end throughput and the transport ceiling. */
  workers: number[];
  tasks: number;
  /** Connected workers for the scale figure (login storm). */
  scale: number[];
  /** SIGKILLed workers (one process each) and frozen (SIGSTOP) ones. */
  kills: number;
  frozen: number;
  /** Tasks of the big job whose acceptance and memory are measured. */
  bigJob: number;
  ceilingSeconds: number;
  realWorkers: number;
  realTasks: number;
  /** Slots of the one worker process compared with the bare spawner at the same parallelism. */
  realSlots: number;
  celeryTasks: number;
  /** Rounds of SIGKILL, then of SIGSTOP, of the active manager. */
  takeovers: number;
  /** Tasks of the peers' bags of `true` (Celery through subprocess, BullMQ through spawn). */
  peerShellTasks: number;
  bullmqTasks: number;
  /** The curves: simulated workers, job sizes and queued tasks (embedded server only). */
  curveWorkers: number[];
  curveTasks: number;
  curveJobs: number[];
  curveQueued: number[];
}

export interface BenchContext {
  readonly server: BenchServer;
  readonly pool: Pool;
  readonly sizes: Sizes;
  readonly results: Results;
  /** Accounts by group: 'w' workers, 'v' victims, 'r' rescuers (all subscribed), 'echo', 'driver'. */
  readonly accounts: Map<string, SimAccount[]>;
  accountsOf(group: string, count: number): SimAccount[];
  /** A fresh manager process (clean memory figures), with these `kestrel manager` flags. */
  restartManager(args?: string[]): Promise<void>;
  user(): Promise<UserClient>;
  /** Records figures as `<server kind>-<name>`. */
  record(name: string, figures: Record<string, unknown>): void;
}

export async function createContext(
  server: BenchServer,
  sizes: Sizes,
  results: Results,
  managerNodeArgs: string[],
): Promise<BenchContext> {
  const pool = await createPool(server, [], { managerNodeArgs });
  const maxWorkers = Math.max(...sizes.workers, ...sizes.scale, ...sizes.curveWorkers);
  const victims = sizes.kills + sizes.frozen;
  const provisioned = await provision(server, localOf(pool.managerJid), [
    { prefix: 'w', count: maxWorkers, subscribed: true },
    { prefix: 'v', count: victims, subscribed: true },
    { prefix: 'r', count: 2, subscribed: true },
    { prefix: 'echo', count: Math.max(...sizes.workers), subscribed: false },
    { prefix: 'driver', count: 1, subscribed: false },
  ]);
  const users: UserClient[] = [];
  const context: BenchContext = {
    server,
    pool,
    sizes,
    results,
    accounts: provisioned.accounts,
    accountsOf(group, count) {
      const list = provisioned.accounts.get(group) ?? [];
      if (list.length < count) throw new Error(`only ${list.length} accounts in group ${group}`);
      return list.slice(0, count);
    },
    async restartManager(args = []) {
      for (const u of users.splice(0)) await u.close();
      // SIGTERM, so that a --cpu-prof manager writes its profile.
      await pool.manager.kill('SIGTERM');
      await pool.startManager(args);
    },
    async user() {
      const u = await pool.user();
      users.push(u);
      return u;
    },
    record(name, figures) {
      results.record(`${server.kind}-${name}`, { server: server.kind, ...figures });
    },
  };
  // Prosody reads the manager's roster at login: the one written above needs a fresh login.
  if (provisioned.rosterWritten) await context.restartManager();
  return context;
}
