// The bench side of simulated-worker hosts: forks bench/lib/sim-host.ts processes, creates the
// accounts, spreads clients over the hosts and gathers their figures.
import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TestXmppServer } from '../../test/harness/xmpp-server.ts';
import type { SimAccount, SimCommand, SimEvent, SimMode, SimStats } from './sim-protocol.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const HOST = join(ROOT, 'bench/lib/sim-host.ts');
export const PASSWORD = 'bench-password-1';

export interface SimHost {
  readonly pid: number;
  readonly child: ChildProcess;
  send(command: SimCommand): void;
  /** Resolves with the next event that matches (rejects on an `error` event or exit). */
  next<T extends SimEvent['ev']>(ev: T, timeoutMs?: number): Promise<Extract<SimEvent, { ev: T }>>;
  onTask(listener: (event: Extract<SimEvent, { ev: 'task' }>) => void): void;
  stop(): Promise<void>;
}

export async function forkHost(): Promise<SimHost> {
  const child = fork(HOST, [], { execPath: NODE, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (child.pid === undefined) throw new Error('could not fork a simulated-worker host');
  const pid = child.pid;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const taskListeners: ((event: Extract<SimEvent, { ev: 'task' }>) => void)[] = [];
  child.on('message', (event: SimEvent) => {
    if (event.ev === 'task') for (const listener of taskListeners) listener(event);
  });
  const host: SimHost = {
    pid,
    child,
    send: (command) => void child.send(command),
    next(ev, timeoutMs = 300_000) {
      return new Promise((resolveNext, reject) => {
        const onMessage = (event: SimEvent) => {
          if (event.ev === ev) {
            done();
            resolveNext(event as Extract<SimEvent, { ev: typeof ev }>);
          } else if (event.ev === 'error') {
            done();
            reject(new Error(`simulated-worker host ${pid}: ${event.message}`));
          }
        };
        const onExit = () => {
          done();
          reject(new Error(`simulated-worker host ${pid} exited while waiting for ${ev}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`simulated-worker host ${pid}: no ${ev} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
      });
    },
    onTask: (listener) => void taskListeners.push(listener),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) {
        child.send({ cmd: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      } else {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  await host.next('ready', 30_000);
  return host;
}

export interface ConnectOptions {
  mode: SimMode;
  /** Bare JID of the manager, or of the ping driver for echo clients. */
  peer: string;
  slots?: number;
  /** Tasks each worker takes ahead of its free slots; default: as many as its slots, as `kestrel worker` does. */
  prefetch?: number;
  sandbox?: 'none' | 'require';
  reportTasks?: boolean;
  /** A certificate the clients trust (a head node's own). */
  ca?: string;
}

export interface SimPool {
  readonly hosts: SimHost[];
  /** Logs every account in at once, spread over the hosts; resolves when all have reported. */
  connect(
    accounts: SimAccount[],
    options: ConnectOptions,
  ): Promise<{ connectedMs: number; reportedMs: number; retries: number }>;
  stats(): Promise<SimStats>;
  /** Logs out about `count` clients (spread over the hosts); resolves with their accounts. */
  drop(count: number): Promise<SimAccount[]>;
  reset(): void;
  close(): Promise<void>;
}

export async function createSimPool(server: TestXmppServer, hostCount: number): Promise<SimPool> {
  const hosts = await Promise.all(Array.from({ length: hostCount }, forkHost));
  /** Accounts logged in on each host, in the order the host keeps its clients. */
  const assigned: SimAccount[][] = hosts.map(() => []);
  return {
    hosts,
    async connect(accounts, options) {
      const t0 = performance.now();
      const shares = hosts.map((_, h) => accounts.filter((_a, i) => i % hosts.length === h));
      const busy = hosts.filter((_, h) => (shares[h]?.length ?? 0) > 0);
      const worker = options.mode !== 'echo';
      const connected = busy.map((host) => host.next('connected'));
      const reported = worker ? busy.map((host) => host.next('reported')) : [];
      // If a login fails for good, `connected` rejects first; these must not go unhandled.
      for (const promise of reported) promise.catch(() => undefined);
      hosts.forEach((host, h) => {
        const share = shares[h] ?? [];
        if (share.length === 0) return;
        assigned[h]?.push(...share);
        host.send({
          cmd: 'connect',
          service: server.service,
          domain: server.domain,
          peer: options.peer,
          mode: options.mode,
          slots: options.slots ?? 1,
          prefetch: options.prefetch ?? options.slots ?? 1,
          ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
          accounts: share,
          reportTasks: options.reportTasks ?? false,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
        });
      });
      const events = await Promise.all(connected);
      const connectedMs = performance.now() - t0;
      await Promise.all(reported);
      const reportedMs = performance.now() - t0;
      const retries = events.reduce((sum, e) => sum + e.retries, 0);
      return { connectedMs, reportedMs, retries };
    },
    async stats() {
      const all = await Promise.all(
        hosts.map((host) => {
          const answer = host.next('stats', 30_000);
          host.send({ cmd: 'stats' });
          return answer.then((e) => e.stats);
        }),
      );
      return sumStats(all);
    },
    async drop(count) {
      const each = Math.ceil(count / hosts.length);
      const dropped = assigned.flatMap((list) => list.splice(0, each));
      await Promise.all(
        hosts.map((host) => {
          const answer = host.next('dropped');
          host.send({ cmd: 'drop', count: each });
          return answer;
        }),
      );
      return dropped;
    },
    reset: () => hosts.forEach((host) => host.send({ cmd: 'reset' })),
    close: async () => void (await Promise.allSettled(hosts.map((host) => host.stop()))),
  };
}

function sumStats(all: SimStats[]): SimStats {
  const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  const firsts = defined(all.map((s) => s.firstTaskAt));
  const lasts = defined(all.map((s) => s.lastTaskAt));
  return {
    connected: all.reduce((n, s) => n + s.connected, 0),
    reported: all.reduce((n, s) => n + s.reported, 0),
    tasks: all.reduce((n, s) => n + s.tasks, 0),
    firstTaskAt: firsts.length ? Math.min(...firsts) : undefined,
    lastTaskAt: lasts.length ? Math.max(...lasts) : undefined,
    rssBytes: all.reduce((n, s) => n + s.rssBytes, 0),
    loginRetries: all.reduce((n, s) => n + s.loginRetries, 0),
  };
}
