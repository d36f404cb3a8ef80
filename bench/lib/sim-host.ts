// A process holding many simulated workers (or echo clients, or the ping driver of the transport
// ceiling), each a real XMPP connection: the bench forks it and steers it over IPC
// (bench/lib/sim-protocol.ts). Several hosts share the two cores with the manager and the server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryUsage } from 'node:process';
import { bareJid } from '../../src-main/common/jid.ts';
import { silentLogger, type Logger } from '../../src-main/common/log.ts';
import { createExecutor, type TaskSpec } from '../../src-main/worker/executor.ts';
import { createWorkerService, type WorkerService } from '../../src-main/worker/service.ts';
import { createConnection, type XmppConnection } from '../../src-main/xmpp/connection.ts';
import { createHoldExecutor, createInstantExecutor } from './executors.ts';
import { startDriver } from './sim-driver.ts';
import type { SimAccount, SimCommand, SimEvent, SimStats } from './sim-protocol.ts';

type Connect = Extract<SimCommand, { cmd: 'connect' }>;

interface Client {
  jid: string;
  connection: XmppConnection;
  worker: WorkerService | undefined;
}

const MAX_ATTEMPTS = 20;
let workDir: string | undefined;
/** Where workers of mode `run` make their tasks' directories: one per host, removed at exit. */
function workRoot(): string {
  if (workDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-bench-work-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    workDir = dir;
  }
  return workDir;
}
const clients: Client[] = [];
const reported = new Set<string>();
const stats: SimStats = {
  connected: 0,
  reported: 0,
  tasks: 0,
  firstTaskAt: undefined,
  lastTaskAt: undefined,
  rssBytes: 0,
  loginRetries: 0,
};
let expected = 0;

const emit = (event: SimEvent) => process.send?.(event);

function onTask(c: Connect, jid: string) {
  return (task: TaskSpec, at: number) => {
    stats.tasks += 1;
    stats.firstTaskAt ??= at;
    stats.lastTaskAt = at;
    if (c.reportTasks) {
      const { jobId, index, attempt } = task;
      emit({ ev: 'task', jobId, index, attempt, at, jid });
    }
  };
}

function reportLogger(jid: string): Logger {
  return {
    ...silentLogger,
    info(message) {
      if (!message.startsWith('manager is online') || reported.has(jid)) return;
      reported.add(jid);
      stats.reported = reported.size;
      if (reported.size === expected) emit({ ev: 'reported', count: reported.size });
    },
  };
}

function createClient(c: Connect, account: SimAccount): Client {
  const jid = `${account.username}@${c.domain}/${account.resource}`;
  const connection = createConnection({
    service: c.service,
    domain: c.domain,
    username: account.username,
    password: account.password,
    resource: account.resource,
    acceptSubscription: (from) => from === bareJid(c.peer),
    ca: c.ca,
  });
  connection.on('error', () => undefined);
  if (c.mode === 'echo') {
    connection.on('message', ({ from, body }) => {
      if (driving) return;
      connection.sendText(from, body).catch(() => undefined);
    });
    return { jid, connection, worker: undefined };
  }
  const executor =
    c.mode === 'run'
      ? createExecutor({ workRoot: workRoot(), sandbox: c.sandbox ?? 'none' })
      : c.mode === 'hold'
        ? createHoldExecutor(onTask(c, jid))
        : createInstantExecutor(onTask(c, jid));
  const worker = createWorkerService({
    connection,
    manager: c.peer,
    executor,
    profile: {
      os: 'Linux',
      ram: 1024,
      cores: 1,
      provides: [],
      slots: c.slots,
      prefetch: c.prefetch,
    },
    log: reportLogger(jid),
  });
  return { jid, connection, worker };
}

/**
 * Logs in, retrying with a fresh client and the backoff of the connection's own reconnects
 * (250 ms doubling to 5 s, with jitter): a login storm may outlast a login timeout.
 */
async function start(c: Connect, account: SimAccount): Promise<Client> {
  for (let attempt = 1; ; attempt += 1) {
    const client = createClient(c, account);
    try {
      await (client.worker ?? client.connection).start();
      stats.connected += 1;
      return client;
    } catch (error) {
      await client.connection.stop().catch(() => undefined);
      if (attempt >= MAX_ATTEMPTS) throw error;
      stats.loginRetries += 1;
      const delay = Math.min(5000, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function connect(c: Connect): Promise<void> {
  const t0 = performance.now();
  if (c.mode !== 'echo') expected += c.accounts.length;
  // Everyone at once: this is the login storm the scale figure measures.
  const fresh = await Promise.all(c.accounts.map((account) => start(c, account)));
  clients.push(...fresh);
  const ms = performance.now() - t0;
  emit({ ev: 'connected', count: fresh.length, ms, retries: stats.loginRetries });
}

let driving = false;

async function handle(command: SimCommand): Promise<void> {
  switch (command.cmd) {
    case 'connect':
      return connect(command);
    case 'stats':
      emit({ ev: 'stats', stats: { ...stats, rssBytes: memoryUsage.rss() } });
      return;
    case 'reset':
      stats.tasks = 0;
      stats.firstTaskAt = undefined;
      stats.lastTaskAt = undefined;
      return;
    case 'drop': {
      const gone = clients.splice(0, command.count);
      for (const c of gone) {
        if (!c.worker) continue;
        expected -= 1;
        reported.delete(c.jid);
      }
      stats.reported = reported.size;
      await Promise.all(gone.map((c) => (c.worker ?? c.connection).stop()));
      emit({ ev: 'dropped', count: gone.length });
      return;
    }
    case 'drive': {
      const driver = clients[0];
      if (!driver) throw new Error('drive: connect the driver first');
      driving = true;
      const result = await startDriver(driver.connection, command);
      driving = false;
      emit({ ev: 'driven', ...result });
      return;
    }
    case 'stop':
      await Promise.allSettled(clients.map((c) => (c.worker ?? c.connection).stop()));
      emit({ ev: 'done' });
      process.disconnect?.();
      return;
  }
}

process.on('message', (command: SimCommand) => {
  handle(command).catch((error: unknown) => emit({ ev: 'error', message: String(error) }));
});
// The bench may die without a goodbye: do not outlive it.
process.on('disconnect', () => process.exit(0));
emit({ ev: 'ready' });
