// The pool under chaos: the harness pool (manager, submitter, store) plus workers that each reach
// the XMPP server through TCP proxies of their own, so any one of them can lose its network.
// Worker slots are stable; the worker in a slot is replaced when its machine "dies". In the
// scale-out mode the store is PostgreSQL, shared by several managers (one active, the others
// standbys), the server an ejabberd cluster: every worker and manager gets each node's address,
// in an order of its own, and a supervisor starts again every manager that stops.
import { readFileSync } from 'node:fs';

import { readManagerStatus } from '../../src-main/manager/manager-status.ts';
import { createPool, type Pool } from '../harness/pool.ts';
import { kestrelEnv, startKestrel, type KestrelProcess } from '../harness/processes.ts';
import { TEST_EXPOSE } from '../harness/task-output.ts';
import { uniqueUser } from '../harness/xmpp-server.ts';
import type { ChaosServer } from './servers.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const WORKER_PASSWORD = 'chaos-worker-pw';
const WORKER_START_MS = 30_000;
const ACTIVE_WAIT_MS = 60_000;
/** Exit code of a manager that another took over from (src-main/cli/errors.ts, EXIT.deposed). */
const DEPOSED = 4;

export interface ChaosWorker {
  readonly slot: number;
  readonly name: string;
  readonly user: string;
  readonly process: KestrelProcess;
}

/** A worker machine's network: its proxies to every node, frozen or cut together. */
export interface Network {
  freeze(): void;
  thaw(): void;
  cut(): void;
  restore(): void;
}

export interface SharedStore {
  /** The PostgreSQL URL every manager gets as --store. */
  store: string;
  /** How many managers share it (one active, the others standbys). */
  managers: number;
  takeoverAfterS: number;
}

export interface ClusterOptions {
  server: ChaosServer;
  workers: number;
  slotsPerWorker: number;
  pingIntervalS: number;
  /** The scale-out mode: several managers on a PostgreSQL store. */
  shared?: SharedStore;
}

export interface Cluster {
  readonly pool: Pool;
  readonly server: ChaosServer;
  readonly networks: readonly Network[];
  /** The worker in each slot now. */
  readonly workers: (ChaosWorker | undefined)[];
  /** Every manager process so far, in order (their logs count requeues). */
  readonly managers: KestrelProcess[];
  /** Every worker process so far. */
  readonly allWorkers: KestrelProcess[];
  /** Managers that stopped unasked (not deposed, not killed by the driver), with how. */
  readonly managerFailures: string[];
  /** Starts a worker in `slot`: a fresh account, or the account and name it had before. */
  startWorker(slot: number, reuseIdentity?: boolean): Promise<ChaosWorker>;
  /** The machine dies: the worker and every task process group it runs, with SIGKILL. */
  killMachine(slot: number): void;
  /**
   * The manager that acts now (scale-out: the one holding the lock, once one does, and not
   * `other`: waits for a takeover from it).
   */
  activeManager(other?: KestrelProcess): Promise<KestrelProcess>;
  /** The driver kills this manager: the supervisor leaves it to restartManager(). */
  killManager(manager: KestrelProcess): Promise<void>;
  /** Starts again the manager killed last (scale-out: as a standby). */
  restartManager(): Promise<KestrelProcess>;
  close(): Promise<void>;
}

/** Child pids of a process (Linux ≥ 3.5 with CONFIG_PROC_CHILDREN). */
export function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(' ').map(Number);
  } catch {
    return [];
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing left to signal.
  }
}

/** SIGKILL a worker and its tasks at once, as if its machine lost power. */
export function killWorkerMachine(pid: number): void {
  // Stopped first, so it cannot start another task between our reading its children and the kill.
  signal(pid, 'SIGSTOP');
  // The executor starts each task as the leader of its own process group (detached).
  for (const child of childrenOf(pid)) signal(-child, 'SIGKILL');
  signal(pid, 'SIGKILL');
}

/** `list` turned by `by` places: each party prefers another node. */
const rotate = <T>(list: readonly T[], by: number): T[] =>
  list.map((_, i) => list[(i + by) % list.length] as T);

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { server, slotsPerWorker, shared } = options;
  const nodes = server.services ?? [server.service];
  const managerArgs = ['--ping-interval', String(options.pingIntervalS)];
  if (shared) managerArgs.push('--takeover-after', String(shared.takeoverAfterS));
  const managerServer = (i: number) => rotate(nodes, i).join(',');
  const pool = await createPool(server, managerArgs, {
    store: shared?.store,
    manager: shared ? { name: 'm1', server: managerServer(0) } : undefined,
  });
  const slotProxies: TcpProxy[][] = [];
  for (let slot = 0; slot < options.workers; slot += 1) {
    const ports = rotate(nodes, slot).map((url) => Number(new URL(url).port));
    slotProxies.push(await Promise.all(ports.map((port) => startTcpProxy(port))));
  }
  const networks: Network[] = slotProxies.map((proxies) => ({
    freeze: () => proxies.forEach((p) => p.freeze()),
    thaw: () => proxies.forEach((p) => p.thaw()),
    cut: () => proxies.forEach((p) => p.cut()),
    restore: () => proxies.forEach((p) => p.restore()),
  }));
  const workers: (ChaosWorker | undefined)[] = new Array<ChaosWorker | undefined>(options.workers);
  const managers = [pool.manager];
  const allWorkers: KestrelProcess[] = [];
  const managerFailures: string[] = [];
  let generation = 0;
  let closing = false;

  /** Scale-out: the process serving each manager name now, and the names the driver killed. */
  const byName = new Map<string, KestrelProcess>();
  const killed = new Set<KestrelProcess>();
  let lastKilled: string | undefined;

  async function startManager(name: string, standby: boolean): Promise<KestrelProcess> {
    const i = Number(name.slice(1)) - 1;
    const manager = await pool.startManager(managerArgs, {
      name,
      standby,
      server: managerServer(i),
    });
    track(name, manager);
    return manager;
  }

  /** The supervisor: a manager that stops by itself is started again, as a standby. */
  function track(name: string, manager: KestrelProcess): void {
    byName.set(name, manager);
    if (!managers.includes(manager)) managers.push(manager);
    void manager.exited.then(async ({ code, signal: sig }) => {
      if (closing || killed.has(manager)) return;
      if (code !== DEPOSED)
        managerFailures.push(`manager ${name} stopped unasked (code ${code}, signal ${sig})`);
      await new Promise((r) => setTimeout(r, 500));
      if (closing) return;
      await startManager(name, true).catch((error: unknown) =>
        managerFailures.push(`manager ${name} did not start again: ${String(error)}`),
      );
    });
  }

  if (shared) {
    track('m1', pool.manager);
    for (let i = 2; i <= shared.managers; i += 1) await startManager(`m${i}`, true);
  }

  const cluster: Cluster = {
    pool,
    server,
    networks,
    workers,
    managers,
    allWorkers,
    managerFailures,
    async startWorker(slot, reuseIdentity = false) {
      const previous = workers[slot];
      const proxies = slotProxies[slot];
      if (!proxies) throw new Error(`no worker slot ${slot}`);
      let user = previous?.user;
      let name = previous?.name;
      if (!reuseIdentity || user === undefined || name === undefined) {
        user = uniqueUser(`cw${slot}`);
        name = `w${slot}-${generation++}`;
        await server.createAccount(user, WORKER_PASSWORD);
      }
      const env = kestrelEnv({
        KESTREL_SERVER: proxies.map((p) => `xmpp://127.0.0.1:${p.port}`).join(','),
        KESTREL_JID: `${user}@${server.domain}`,
        KESTREL_PASSWORD: WORKER_PASSWORD,
        KESTREL_MANAGER: pool.managerJid,
        KESTREL_DATA_DIR: pool.dataDir,
      });
      const args = ['worker', '--name', name, '--slots', String(slotsPerWorker)];
      args.push('--expose', TEST_EXPOSE);
      const child = startKestrel(`worker ${name}`, args, env);
      allWorkers.push(child);
      const worker = { slot, name, user, process: child };
      workers[slot] = worker;
      await child.waitForOutput('worker online', WORKER_START_MS);
      return worker;
    },
    killMachine(slot) {
      const worker = workers[slot];
      if (worker) killWorkerMachine(worker.process.pid);
    },
    async activeManager(other) {
      if (!shared) return pool.manager;
      const deadline = Date.now() + ACTIVE_WAIT_MS;
      for (;;) {
        const status = await readManagerStatus(shared.store).catch(() => undefined);
        const manager = status?.active && byName.get(status.active.name);
        const alive =
          manager && manager.child.exitCode === null && manager.child.signalCode === null;
        if (manager && alive && manager !== other) return manager;
        if (Date.now() > deadline) throw new Error('no active manager for a minute');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async killManager(manager) {
      killed.add(manager);
      lastKilled = [...byName].find(([, m]) => m === manager)?.[0];
      await manager.kill('SIGKILL');
    },
    async restartManager() {
      if (!shared) {
        const manager = await pool.startManager();
        managers.push(manager);
        return manager;
      }
      return startManager(lastKilled ?? 'm1', true);
    },
    async close() {
      closing = true;
      for (const worker of workers) if (worker) killWorkerMachine(worker.process.pid);
      await Promise.allSettled(slotProxies.flat().map((p) => p.close()));
      await pool.close();
    },
  };
  return cluster;
}
