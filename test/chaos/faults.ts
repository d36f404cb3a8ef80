// Carries out the fault schedule against a running cluster. Faults that last (a stopped worker,
// a frozen or cut network, a dead machine awaiting its replacement) run in the background while
// the schedule goes on; restarts of the manager and the server, and starting workers, take turns
// so a process never has to make its first login while the server is down.
import type { TestPostgres } from '../harness/postgres.ts';
import type { Cluster } from './cluster.ts';
import type { StoreMonitor } from './monitor.ts';
import { FAULT_KINDS, type FaultEvent, type FaultKind } from './schedule.ts';

export interface Recovery {
  kind: 'manager_kill' | 'server_restart' | 'manager_stop' | 'node_kill' | 'postgres_restart';
  /** When the fault began: the manager killed or frozen, the restart begun (epoch ms). */
  faultAt: number;
  /**
   * When the pool could go on: the new manager started or a standby took over, the server or
   * node listening again, PostgreSQL restarted.
   */
  restartedAt: number;
  /** The first task result recorded after restartedAt, if any was before the job ended. */
  firstRecordAt: number | undefined;
}

export interface FaultInjector {
  inject(event: FaultEvent): Promise<void>;
  /** Resolves once every lasting fault has been undone and every replacement has started. */
  settle(): Promise<void>;
  readonly injected: Record<FaultKind, number>;
  readonly skipped: Record<FaultKind, number>;
  readonly recoveries: Recovery[];
  /** Lines for the log of what happened, with times relative to the start. */
  readonly journal: string[];
  /** Faults that could not be carried out or undone (a replacement that did not start…). */
  readonly errors: string[];
}

const zero = () => Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RECOVERY_WAIT_MS = 120_000;
/** A frozen manager, thawed after a standby took over, must stop within this. */
const DEPOSED_EXIT_MS = 20_000;

export function createFaultInjector(
  cluster: Cluster,
  monitor: StoreMonitor,
  /** The scale-out mode's store, for postgres_restart. */
  postgres?: TestPostgres,
): FaultInjector {
  const injected = zero();
  const skipped = zero();
  const recoveries: Recovery[] = [];
  const journal: string[] = [];
  const errors: string[] = [];
  const busy = new Set<number>();
  const lasting = new Set<Promise<void>>();
  const t0 = Date.now();
  let turn: Promise<unknown> = Promise.resolve();

  const note = (text: string) =>
    journal.push(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${text}`);

  /** Runs `work` after every earlier serial step has finished. */
  function serial<T>(work: () => Promise<T>): Promise<T> {
    const next = turn.then(work, work);
    turn = next.catch(() => undefined);
    return next;
  }

  function background(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        errors.push(String(error));
        note(`error: ${String(error)}`);
      })
      .finally(() => lasting.delete(tracked));
    lasting.add(tracked);
  }

  /** A worker slot free of other faults: the event's own, else the next one round the ring. */
  function pickSlot(wanted: number): number | undefined {
    const n = cluster.workers.length;
    for (let k = 0; k < n; k += 1) {
      const slot = (wanted + k) % n;
      if (!busy.has(slot) && cluster.workers[slot]) return slot;
    }
    return undefined;
  }

  /** Not a lasting fault: the wait ends with the monitor, when the job is over. */
  function measure(recovery: Recovery): void {
    recoveries.push(recovery);
    void monitor.firstRecordAfter(recovery.restartedAt, RECOVERY_WAIT_MS).then((at) => {
      recovery.firstRecordAt = at;
    });
  }

  async function workerFault(event: FaultEvent, slot: number): Promise<void> {
    const worker = cluster.workers[slot]!;
    const proxy = cluster.networks[slot]!;
    const hold = `${event.holdMs} ms`;
    switch (event.kind) {
      case 'worker_kill':
        cluster.killMachine(slot);
        note(`worker_kill ${worker.name} (replacement in ${hold})`);
        await sleep(event.holdMs);
        await serial(() => cluster.startWorker(slot, event.reuseIdentity));
        note(`worker_kill: slot ${slot} has ${cluster.workers[slot]?.name} now`);
        return;
      case 'worker_stop':
        worker.process.child.kill('SIGSTOP');
        note(`worker_stop ${worker.name} for ${hold}`);
        await sleep(event.holdMs);
        worker.process.child.kill('SIGCONT');
        return;
      case 'net_freeze':
        proxy.freeze();
        note(`net_freeze ${worker.name} for ${hold}`);
        await sleep(event.holdMs);
        proxy.thaw();
        return;
      case 'net_cut':
        proxy.cut();
        note(`net_cut ${worker.name} for ${hold}`);
        await sleep(event.holdMs);
        proxy.restore();
        return;
      default:
        throw new Error(`not a worker fault: ${event.kind}`);
    }
  }

  return {
    injected,
    skipped,
    recoveries,
    journal,
    errors,
    async inject(event) {
      if (event.kind === 'manager_kill') {
        injected.manager_kill += 1;
        await serial(async () => {
          const manager = await cluster.activeManager();
          const faultAt = Date.now();
          await cluster.killManager(manager);
          note(`manager_kill ${manager.name} (down for ${event.holdMs} ms)`);
          await sleep(event.holdMs);
          const restartedAt = Date.now();
          await cluster.restartManager();
          note(`manager restarted, online after ${Date.now() - restartedAt} ms`);
          measure({ kind: 'manager_kill', faultAt, restartedAt, firstRecordAt: undefined });
        });
        return;
      }
      if (event.kind === 'manager_stop') {
        injected.manager_stop += 1;
        await serial(async () => {
          const manager = await cluster.activeManager();
          const faultAt = Date.now();
          manager.child.kill('SIGSTOP');
          note(`manager_stop ${manager.name} for ${event.holdMs} ms`);
          // The frozen one still holds the lock until PostgreSQL ends its session.
          const next = await cluster.activeManager(manager);
          const restartedAt = Date.now();
          note(`manager_stop: ${next.name} took over after ${restartedAt - faultAt} ms`);
          measure({ kind: 'manager_stop', faultAt, restartedAt, firstRecordAt: undefined });
          await sleep(Math.max(0, faultAt + event.holdMs - Date.now()));
          manager.child.kill('SIGCONT');
          const stopped = await Promise.race([
            manager.exited.then(({ code }) => code),
            sleep(DEPOSED_EXIT_MS).then(() => 'running' as const),
          ]);
          note(`manager_stop: ${manager.name} thawed, then exited with ${String(stopped)}`);
          if (stopped !== 4)
            errors.push(`manager ${manager.name} thawed after a takeover: ${String(stopped)}`);
        });
        return;
      }
      if (event.kind === 'node_kill') {
        injected.node_kill += 1;
        await serial(async () => {
          const { killNode, startNode, services } = cluster.server;
          if (!killNode || !startNode || !services) throw new Error('node_kill needs a cluster');
          const node = event.slot % services.length;
          const faultAt = Date.now();
          await killNode(node);
          note(`node_kill: ejabberd node ${node + 1} (down for ${event.holdMs} ms)`);
          await sleep(event.holdMs);
          await startNode(node);
          const restartedAt = Date.now();
          note(`node ${node + 1} back after ${restartedAt - faultAt} ms`);
          measure({ kind: 'node_kill', faultAt, restartedAt, firstRecordAt: undefined });
        });
        return;
      }
      if (event.kind === 'server_restart') {
        injected.server_restart += 1;
        await serial(async () => {
          const faultAt = Date.now();
          note(`server_restart (${cluster.server.kind})`);
          await cluster.server.restart();
          const restartedAt = Date.now();
          note(`server listening again after ${restartedAt - faultAt} ms`);
          measure({ kind: 'server_restart', faultAt, restartedAt, firstRecordAt: undefined });
        });
        return;
      }
      if (event.kind === 'postgres_restart') {
        injected.postgres_restart += 1;
        await serial(async () => {
          if (!postgres) throw new Error('postgres_restart needs the scale-out mode');
          const faultAt = Date.now();
          note('postgres_restart (fast: every session ended)');
          await postgres.restart();
          const restartedAt = Date.now();
          note(`PostgreSQL accepting again after ${restartedAt - faultAt} ms`);
          measure({ kind: 'postgres_restart', faultAt, restartedAt, firstRecordAt: undefined });
        });
        return;
      }
      const slot = pickSlot(event.slot);
      if (slot === undefined) {
        skipped[event.kind] += 1;
        note(`${event.kind} skipped: every worker is under another fault`);
        return;
      }
      injected[event.kind] += 1;
      busy.add(slot);
      background(workerFault(event, slot).finally(() => busy.delete(slot)));
    },
    async settle() {
      while (lasting.size > 0) await Promise.allSettled([...lasting]);
      await turn;
    },
  };
}
