import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startUiServer, type UiServer } from '../http/ui-server.ts';
import { localOf } from '../common/jid.ts';
import type { Logger } from '../common/log.ts';
import { createAccessPolicy } from '../manager/access.ts';
import type { UserLimits } from '../manager/limits.ts';
import type { ManagerApi } from '../manager/manager-api.ts';
import type { WorkerRateLimits } from '../manager/worker-rate.ts';
import { createManagerService, type ManagerService } from '../manager/service.ts';
import { openManagerStore } from '../manager/store.ts';
import { createXmppServer, type XmppServer } from '../server/xmpp-server.ts';
import { createConnection } from '../xmpp/connection.ts';
import { createRoleLookup } from './role-lookup.ts';
import { opsHandlers, RENDERER_ROOT, type OpsSide } from './ops-ui.ts';
import {
  clearListening,
  freshHeadConfig,
  newPassword,
  writeListening,
  readHeadConfig,
  writeHeadConfig,
  type HeadConfig,
} from './head-config.ts';

/**
 * A head node: Kestrel's embedded XMPP server and the manager in one process, so a small pool
 * needs nothing but this binary. The first start creates the domain's manager and admin
 * accounts and keeps their credentials in the data directory.
 */

export interface HeadNodeOptions {
  dataDir: string;
  /** Used on first start only; later starts keep the stored domain. */
  domain?: string;
  /** Overrides the stored port for this start (0: any free port). */
  port?: number;
  /** Overrides the stored bind address for this start. */
  host?: string;
  log: Logger;
  /** Passed to the manager (default 10 s). */
  pingIntervalMs?: number;
  /**
   * Who may submit, work and administer besides what the accounts' roles say (`kestrel user
   * add` makes submitters, invites make workers): JIDs or @domains, as for `kestrel manager`.
   */
  access?: {
    submitters?: readonly string[];
    workers?: readonly string[];
    admins?: readonly string[];
  };
  /** Passed to the manager (default DEFAULT_USER_LIMITS). */
  limits?: UserLimits;
  /** Passed to the manager (default DEFAULT_WORKER_RATE). */
  workerRate?: WorkerRateLimits;
  /** Serve the ops UI and its API over HTTP (src-main/http); off when left out. */
  ui?: { port: number; bind?: string };
}

export interface HeadNode {
  readonly config: HeadConfig;
  /** The port the server listens on. */
  readonly port: number;
  /** `xmpp://127.0.0.1:PORT`: how local clients reach the server. */
  readonly service: string;
  /** PEM of the certificate the server offers with STARTTLS, for local clients to trust. */
  readonly ca: string | undefined;
  /** Its SHA-256 fingerprint (`AB:CD:…`), what other machines' clients pin. */
  readonly fingerprint: string | undefined;
  readonly server: XmppServer;
  readonly firstRun: boolean;
  /** The ops UI, when asked for. */
  readonly ui: UiServer | undefined;
  /** The renderer's API as the head's admin, for any transport (the ops UI, the desktop app). */
  readonly ops: OpsSide;
  /** The manager's read model and change feed. */
  readonly manager: ManagerApi;
  stop(): Promise<void>;
}

export async function startHeadNode(options: HeadNodeOptions): Promise<HeadNode> {
  const { dataDir, log } = options;
  const stored = readHeadConfig(dataDir);
  const config = stored ?? freshHeadConfig(options);
  const host = options.host ?? config.host;
  const server = createXmppServer({
    domain: config.domain,
    host,
    port: options.port ?? config.port,
    dataDir: join(dataDir, 'server'),
    log,
  });
  const stops: (() => Promise<void>)[] = [() => server.stop()];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) {
      await step().catch((error: unknown) => log.error('stop failed', { error: String(error) }));
    }
  };
  try {
    // Only this process may log in as the manager: its password is made afresh at every start
    // and kept nowhere but in memory, so nobody who reads head.json (or a task that could)
    // can speak for the manager to the workers.
    const managerPassword = newPassword();
    if (!stored) {
      await server.accounts.add(localOf(config.manager.jid), managerPassword);
      await server.accounts.add(localOf(config.admin.jid), config.admin.password, ['admin']);
      writeHeadConfig(dataDir, config);
    } else {
      await server.accounts.setPassword(localOf(config.manager.jid), managerPassword);
    }
    const { port } = await server.start();
    writeListening(dataDir, { host, port, pid: process.pid });
    stops.unshift(async () => clearListening(dataDir));
    const service = `xmpp://127.0.0.1:${port}`;
    const ca = server.certFile === undefined ? undefined : readFileSync(server.certFile, 'utf8');
    const fingerprint = ca === undefined ? undefined : new X509Certificate(ca).fingerprint256;

    const access = createAccessPolicy({
      domain: config.domain,
      submitters: options.access?.submitters,
      workers: options.access?.workers,
      admins: [config.admin.jid, ...(options.access?.admins ?? [])],
      roles: createRoleLookup(server.roles),
    });
    const store = await openManagerStore(join(dataDir, 'manager.db'));
    const connection = createConnection({
      service,
      domain: config.domain,
      username: localOf(config.manager.jid),
      password: managerPassword,
      resource: 'manager',
      ca,
      acceptSubscription: (jid) => access.isWorker(jid) || access.canSubmit(jid),
    });
    connection.on('error', (error) => log.warn('manager connection', { error: String(error) }));
    const manager: ManagerService = createManagerService({
      connection,
      store,
      access,
      log,
      pingIntervalMs: options.pingIntervalMs,
      limits: options.limits,
      workerRate: options.workerRate,
    });
    await manager.start();
    stops.push(() => manager.stop());
    const ops = opsHandlers({ config, xmppPort: port, ca, api: manager.api });
    let ui: UiServer | undefined;
    if (options.ui) {
      ui = await startUiServer({
        ...ops,
        root: RENDERER_ROOT,
        port: options.ui.port,
        bind: options.ui.bind ?? '127.0.0.1',
        log,
      });
      stops.push(() => (ui as UiServer).stop());
    }
    return {
      config,
      port,
      service,
      ca,
      fingerprint,
      server,
      firstRun: !stored,
      ui,
      ops,
      manager: manager.api,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
