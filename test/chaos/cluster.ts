// The pool under chaos: the harness pool (manager, submitter, store) plus workers that each reach
// the XMPP server through a TCP proxy of their own, so any one of them can lose its network.
// Worker slots are stable; the worker in a slot is replaced when its machine "dies".
import { readFileSync } from 'node:fs';

import { createPool, type Pool } from '../harness/pool.ts';
import { kestrelEnv, startKestrel, type KestrelProcess } from '../harness/processes.ts';
import { TEST_EXPOSE } from '../harness/task-output.ts';
import { uniqueUser } from '../harness/xmpp-server.ts';
import type { ChaosServer } from './servers.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const WORKER_PASSWORD = 'chaos-worker-pw';
const WORKER_START_MS = 30_000;

export interface ChaosWorker {
  readonly slot: number;
  readonly name: string;
  readonly user: string;
  readonly process: KestrelProcess;
}

export interface ClusterOptions {
  server: ChaosServer;
  workers: number;
  slotsPerWorker: number;
  pingIntervalS: number;
}

export interface Cluster {
  readonly pool: Pool;
  readonly server: ChaosServer;
  readonly proxies: readonly TcpProxy[];
  /** The worker in each slot now. */
  readonly workers: (ChaosWorker | undefined)[];
  /** Every manager process so far, in order (their logs count requeues). */
  readonly managers: KestrelProcess[];
  /** Every worker process so far. */
  readonly allWorkers: KestrelProcess[];
  /** Starts a worker in `slot`: a fresh account, or the account and name it had before. */
  startWorker(slot: number, reuseIdentity?: boolean): Promise<ChaosWorker>;
  /** The machine dies: the worker and every task process group it runs, with SIGKILL. */
  killMachine(slot: number): void;
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

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { server, slotsPerWorker } = options;
  const pool = await createPool(server, ['--ping-interval', String(options.pingIntervalS)]);
  const proxies: TcpProxy[] = [];
  const port = Number(new URL(server.service).port);
  for (let slot = 0; slot < options.workers; slot += 1) proxies.push(await startTcpProxy(port));
  const workers: (ChaosWorker | undefined)[] = new Array<ChaosWorker | undefined>(options.workers);
  const managers = [pool.manager];
  const allWorkers: KestrelProcess[] = [];
  let generation = 0;

  const cluster: Cluster = {
    pool,
    server,
    proxies,
    workers,
    managers,
    allWorkers,
    async startWorker(slot, reuseIdentity = false) {
      const previous = workers[slot];
      const proxy = proxies[slot];
      if (!proxy) throw new Error(`no worker slot ${slot}`);
      let user = previous?.user;
      let name = previous?.name;
      if (!reuseIdentity || user === undefined || name === undefined) {
        user = uniqueUser(`cw${slot}`);
        name = `w${slot}-${generation++}`;
        await server.createAccount(user, WORKER_PASSWORD);
      }
      const env = kestrelEnv({
        KESTREL_SERVER: `xmpp://127.0.0.1:${proxy.port}`,
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
    async restartManager() {
      const manager = await pool.startManager();
      managers.push(manager);
      return manager;
    },
    async close() {
      for (const worker of workers) if (worker) killWorkerMachine(worker.process.pid);
      await Promise.allSettled(proxies.map((p) => p.close()));
      await pool.close();
    },
  };
  return cluster;
}
