// A whole Kestrel pool on a real XMPP server for integration tests: the manager and workers are
// real `kestrel` processes; the user is an ordinary XMPP client, as an IM client would be.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createConnection, type XmppConnection } from '../../src-main/xmpp/connection.ts';
import { nextEvent } from './connection-events.ts';
import { kestrelEnv, startKestrel, type KestrelProcess } from './processes.ts';
import { createStoreReader, type StoreReader } from './store-reader.ts';
import { TEST_EXPOSE } from './task-output.ts';
import { uniqueUser, type TestXmppServer } from './xmpp-server.ts';

export interface WorkerSpec {
  provides?: string[];
  slots?: number;
  /** `--server` for this worker (default: a node of the server, in turn on a cluster). */
  server?: string;
  /** More `kestrel worker` flags (its preferences, such as --blocked-submitters). */
  args?: string[];
}

export interface ManagerSpec {
  /** `--name`: the manager's resource (default: the command's own default). */
  name?: string;
  /** It is expected to wait as a standby: resolves once it says so, not once it is active. */
  standby?: boolean;
  /** `--server` for this manager (default: the server's first node). */
  server?: string;
}

export type Reply = Record<string, unknown> & { type: string };

export interface UserClient {
  readonly jid: string;
  readonly connection: XmppConnection;
  /** Every reply from the manager received so far, in order. */
  readonly replies: Reply[];
  /** Sends a body (a string as typed, or an object as JSON) and resolves with the next reply. */
  ask(body: string | object, timeoutMs?: number): Promise<Reply>;
  /** Resolves with the first reply (already received or future) that matches. */
  waitFor(accept: (reply: Reply) => boolean, timeoutMs?: number): Promise<Reply>;
  close(): Promise<void>;
}

export interface Pool {
  readonly server: TestXmppServer;
  readonly dataDir: string;
  readonly managerJid: string;
  /** The manager started last with startManager() (not as a standby). */
  manager: KestrelProcess;
  /** Every manager process started, in order. */
  readonly managers: KestrelProcess[];
  /** Where the managers' store is: a SQLite file, or the PostgreSQL URL given. */
  readonly storeLocation: string;
  readonly workers: Map<string, KestrelProcess>;
  /** Full JID of each worker by name. */
  readonly workerJids: Map<string, string>;
  startManager(extraArgs?: string[], spec?: ManagerSpec): Promise<KestrelProcess>;
  startWorker(name: string, spec?: WorkerSpec): Promise<KestrelProcess>;
  /**
   * A submitter's IM client. `sharePresence`: as when a person adds the manager as a contact,
   * it subscribes to the manager and approves the manager's request back, so the manager sees
   * it come and go; resolves once the manager's presence has arrived.
   */
  user(name?: string, options?: { sharePresence?: boolean }): Promise<UserClient>;
  /** Logs the same account in again (after `close()`), as a person coming back would. */
  userAgain(previous: UserClient): Promise<UserClient>;
  /** Reads the manager's SQLite store directly (read-only), for assertions on what was recorded. */
  query<T>(sql: string, ...params: (string | number)[]): T[];
  /** The same on either backend (`?` placeholders): the only way to read a PostgreSQL store. */
  readonly store: StoreReader;
  close(): Promise<void>;
}

/** Every account of a test pool has this password (the manager's too). */
export const POOL_PASSWORD = 'test-password-1';
const PASSWORD = POOL_PASSWORD;

export interface PoolOptions {
  /** Flags for the manager's node process (e.g. `--cpu-prof`), not for `kestrel manager`. */
  managerNodeArgs?: string[];
  /** `--store` of every manager: a PostgreSQL URL (default: SQLite in the pool's data dir). */
  store?: string;
  /** How the pool's first manager is started. */
  manager?: ManagerSpec;
}

export async function createPool(
  server: TestXmppServer,
  managerArgs: string[] = [],
  options: PoolOptions = {},
): Promise<Pool> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kestrel-pool-'));
  const managerUser = uniqueUser('manager');
  const managerJid = `${managerUser}@${server.domain}`;
  await server.createAccount(managerUser, PASSWORD);
  const workers = new Map<string, KestrelProcess>();
  const workerJids = new Map<string, string>();
  const users: UserClient[] = [];
  const managers: KestrelProcess[] = [];
  const storeLocation = options.store ?? join(dataDir, 'manager.db');
  const store = createStoreReader(storeLocation);
  // On a cluster, workers go to its nodes in turn, starting with the one the manager is not on.
  const nodes = server.services ?? [server.service];
  let nextNode = 1;
  const env = (jid: string, service = server.service) =>
    kestrelEnv({
      KESTREL_SERVER: service,
      KESTREL_JID: jid,
      KESTREL_PASSWORD: PASSWORD,
      KESTREL_MANAGER: managerJid,
      KESTREL_DATA_DIR: dataDir,
      ...(options.store === undefined ? {} : { KESTREL_STORE: options.store }),
    });

  const managerLog = () =>
    (pool.manager?.output() ?? '(no manager)').trim().split('\n').slice(-40).join('\n');
  const pool: Pool = {
    server,
    dataDir,
    managerJid,
    manager: undefined as unknown as KestrelProcess,
    managers,
    storeLocation,
    store,
    workers,
    workerJids,
    async startManager(extraArgs = managerArgs, spec = {}) {
      const args = ['manager', ...extraArgs];
      if (spec.name !== undefined) args.push('--name', spec.name);
      const manager = startKestrel(
        spec.name === undefined ? 'manager' : `manager ${spec.name}`,
        args,
        env(managerJid, spec.server),
        options.managerNodeArgs,
      );
      managers.push(manager);
      if (spec.standby) {
        // …or it finds nobody active and takes over at once.
        await manager.waitForOutput(/standby: waiting to become the active manager|manager online/);
        return manager;
      }
      pool.manager = manager;
      await manager.waitForOutput('manager online');
      return manager;
    },
    async startWorker(name, spec = {}) {
      const user = uniqueUser(`w-${name}`);
      await server.createAccount(user, PASSWORD);
      const args = ['worker', '--name', name, '--slots', String(spec.slots ?? 2)];
      args.push('--expose', TEST_EXPOSE);
      if (spec.provides) args.push('--provides', spec.provides.join(','));
      if (spec.args) args.push(...spec.args);
      const service = spec.server ?? nodes[nextNode++ % nodes.length];
      const worker = startKestrel(`worker ${name}`, args, env(`${user}@${server.domain}`, service));
      workers.set(name, worker);
      workerJids.set(name, `${user}@${server.domain}/${name}`);
      // Online and reported to the manager: it only takes tasks after its profile.
      await worker.waitForOutput('manager is online; reporting');
      return worker;
    },
    async user(name = 'alice', { sharePresence = false } = {}) {
      const local = uniqueUser(name);
      await server.createAccount(local, PASSWORD);
      const client = await connectUser(server, local, managerJid, managerLog, sharePresence);
      users.push(client);
      if (sharePresence) {
        const seen = nextEvent(client.connection, 'presence', (p) =>
          p.from.startsWith(`${managerJid}/`),
        );
        await client.connection.subscribe(managerJid);
        await seen;
      }
      return client;
    },
    async userAgain(previous) {
      const client = await connectUser(
        server,
        previous.jid.split('@')[0] ?? '',
        managerJid,
        managerLog,
      );
      users.push(client);
      return client;
    },
    query<T>(sql: string, ...params: (string | number)[]) {
      const db = new DatabaseSync(join(dataDir, 'manager.db'), { readOnly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    async close() {
      await Promise.allSettled(users.map((u) => u.close()));
      await Promise.allSettled([...workers.values()].map((w) => w.kill('SIGKILL')));
      await Promise.allSettled(managers.map((m) => m.kill('SIGKILL')));
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await pool.startManager(managerArgs, options.manager);
  return pool;
}

async function connectUser(
  server: TestXmppServer,
  local: string,
  managerJid: string,
  /** What the manager logged lately: a reply that never comes is explained there. */
  managerLog: () => string,
  sharePresence = false,
): Promise<UserClient> {
  const connection = createConnection({
    service: server.service,
    domain: server.domain,
    username: local,
    password: PASSWORD,
    resource: 'im',
    acceptSubscription: sharePresence ? (jid) => jid === managerJid : undefined,
  });
  const replies: Reply[] = [];
  const waiters = new Set<() => void>();
  connection.on('message', ({ from, body }) => {
    if (!from.startsWith(managerJid)) return;
    // Plain text (the answer to plain text typed by a person) is kept as { type: 'text' }.
    let reply: Reply;
    try {
      reply = JSON.parse(body) as Reply;
    } catch {
      reply = { type: 'text', text: body };
    }
    replies.push(reply);
    for (const check of waiters) check();
  });
  // Server restarts are part of some tests: the connection reconnects by itself. What happened
  // to it is kept for the message of a reply that never came.
  const events: string[] = [];
  const note = (what: string) => events.push(`${new Date().toISOString()} ${what}`);
  connection.on('error', (error) => note(`error ${error.code}: ${error.message}`));
  connection.on('offline', ({ reason }) => note(`offline: ${reason}`));
  connection.on('online', ({ reconnected }) => reconnected && note('online again'));
  connection.on('message_error', ({ from, condition }) =>
    note(`bounced from ${from}: ${condition}`),
  );
  await connection.start();

  function waitFor(
    accept: (reply: Reply) => boolean,
    timeoutMs = 30_000,
    from = 0,
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = replies.slice(from).find(accept);
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `no matching reply within ${timeoutMs} ms; replies so far: ${JSON.stringify(replies)}\n` +
              `this client: ${events.join('; ') || 'no errors, never offline'}\n` +
              `the manager's last log lines:\n${managerLog()}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  return {
    jid: `${local}@${server.domain}`,
    connection,
    replies,
    waitFor: (accept, timeoutMs) => waitFor(accept, timeoutMs),
    async ask(body, timeoutMs = 15_000) {
      const from = replies.length;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      await connection.sendText(managerJid, text);
      return waitFor((r) => r.type !== 'job_finished', timeoutMs, from);
    },
    close: () => connection.stop(),
  };
}
