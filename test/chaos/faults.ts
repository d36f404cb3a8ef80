// Carries out the fault schedule against a running cluster. Faults that last (a stopped worker,
// a frozen or cut network, a dead machine awaiting its replacement) run in the background while
// the schedule goes on; restarts of the manager and the server, and starting workers, take turns
// so a process never has to make its first login while the server is down.
import type { Cluster } from './cluster.ts';
import type { StoreMonitor } from './monitor.ts';
import { FAULT_KINDS, type FaultEvent, type FaultKind } from './schedule.ts';

export interface Recovery {
  kind: 'manager_kill' | 'server_restart';
  /** When the manager was killed, or the server restart began (epoch ms). */
  faultAt: number;
  /** When the new manager was started, or the server was listening again. */
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

export function createFaultInjector(cluster: Cluster, monitor: StoreMonitor): FaultInjector {
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
    const proxy = cluster.proxies[slot]!;
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
          const faultAt = Date.now();
          await cluster.pool.manager.kill('SIGKILL');
          note(`manager_kill (down for ${event.holdMs} ms)`);
          await sleep(event.holdMs);
          const restartedAt = Date.now();
          await cluster.restartManager();
          note(`manager restarted, online after ${Date.now() - restartedAt} ms`);
          measure({ kind: 'manager_kill', faultAt, restartedAt, firstRecordAt: undefined });
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
