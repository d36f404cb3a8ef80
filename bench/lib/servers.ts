// The XMPP servers the bench compares, each in a process of its own on 127.0.0.1: Prosody (from
// Debian, tuned as below) and, once it exists, Kestrel's embedded server.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startProsody } from '../../test/harness/prosody.ts';
import type { TestXmppServer } from '../../test/harness/xmpp-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');

export type ServerKind = 'prosody' | 'embedded';

export interface BenchServer extends TestXmppServer {
  readonly pid: number;
  /** The settings that differ from the server's defaults, for the report. */
  readonly tuning: string;
  /** Many accounts at once (the bench needs thousands). */
  createAccounts(users: string[], password: string): Promise<void>;
}

/**
 * Prosody's Lua collector, left at its defaults, spends most of Prosody's time once a thousand
 * clients are connected (measured: 2.1k round trips/s at 1,000 clients, 8k with this setting).
 */
export const PROSODY_GC = { mode: 'incremental', threshold: 400, speed: 250 };

/** Kinds that can run here: the embedded server only once its test harness exists. */
export function availableKinds(): ServerKind[] {
  const embedded = existsSync(join(ROOT, 'test/harness/embedded.ts'));
  return embedded ? ['embedded', 'prosody'] : ['prosody'];
}

export async function startBenchServer(
  kind: ServerKind,
  options: { prosodyGc?: boolean } = {},
): Promise<BenchServer> {
  if (kind === 'prosody') {
    const gc = options.prosodyGc === false ? undefined : PROSODY_GC;
    const prosody = await startProsody({ gc });
    const pid = prosody.pid();
    if (pid === undefined) throw new Error('prosody has no pid');
    const tuning = `network_settings.tcp_backlog = 4096; gc = ${gc ? JSON.stringify(gc) : 'default'}`;
    const createAccounts = async (users: string[], password: string) => {
      let next = 0;
      const lane = async () => {
        for (let u = users[next++]; u !== undefined; u = users[next++]) {
          await prosody.createAccount(u, password);
        }
      };
      await Promise.all(Array.from({ length: 32 }, lane));
    };
    return Object.assign(prosody, { pid, tuning, createAccounts });
  }
  return startEmbeddedProcess();
}

interface HostEvent {
  ev: string;
  message?: string;
  service?: string;
  domain?: string;
}

async function startEmbeddedProcess(): Promise<BenchServer> {
  const child = fork(join(ROOT, 'bench/lib/embedded-host.ts'), [], {
    execPath: NODE,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the embedded server');
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const next = (ev: string, timeoutMs = 600_000) =>
    new Promise<HostEvent>((resolveNext, reject) => {
      const timer = setTimeout(() => finish(new Error(`embedded server: no ${ev}`)), timeoutMs);
      const onMessage = (event: HostEvent) => {
        if (event.ev === ev) finish(undefined, event);
        else if (event.ev === 'error') finish(new Error(`embedded server: ${event.message}`));
      };
      const onExit = () => finish(new Error(`embedded server exited while waiting for ${ev}`));
      const finish = (error?: Error, event?: HostEvent) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolveNext(event as HostEvent);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next('ready', 30_000).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const server: BenchServer = {
    kind: 'embedded',
    pid,
    tuning: 'defaults of test/harness/embedded.ts (SCRAM iterations 4096)',
    domain: ready.domain ?? 'kestrel.test',
    service: ready.service ?? '',
    createAccount: (user, password) => server.createAccounts([user], password),
    async restart() {
      child.send({ cmd: 'restart' });
      await next('restarted');
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async createAccounts(users: string[], password: string) {
      child.send({ cmd: 'accounts', users, password });
      await next('accounts');
    },
  };
  return server;
}
