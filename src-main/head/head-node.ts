import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startUiServer, type UiServer } from '../http/ui-server.ts';
import { localOf } from '../common/jid.ts';
import type { Logger } from '../common/log.ts';
import { createAccessPolicy } from '../manager/access.ts';
import { createManagerService, type ManagerService } from '../manager/service.ts';
import { openManagerStore } from '../manager/store.ts';
import { createXmppServer, type XmppServer } from '../server/xmpp-server.ts';
import { createConnection } from '../xmpp/connection.ts';
import { opsHandlers, RENDERER_ROOT } from './ops-ui.ts';
import {
  freshHeadConfig,
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
  readonly server: XmppServer;
  readonly firstRun: boolean;
  /** The ops UI, when asked for. */
  readonly ui: UiServer | undefined;
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
    if (!stored) {
      await server.accounts.add(localOf(config.manager.jid), config.manager.password);
      await server.accounts.add(localOf(config.admin.jid), config.admin.password);
      writeHeadConfig(dataDir, config);
    }
    const { port } = await server.start();
    const service = `xmpp://127.0.0.1:${port}`;
    const ca = server.certFile === undefined ? undefined : readFileSync(server.certFile, 'utf8');

    const access = createAccessPolicy({ domain: config.domain, admins: [config.admin.jid] });
    const store = openManagerStore(join(dataDir, 'manager.db'));
    const connection = createConnection({
      service,
      domain: config.domain,
      username: localOf(config.manager.jid),
      password: config.manager.password,
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
    });
    await manager.start();
    stops.push(() => manager.stop());
    let ui: UiServer | undefined;
    if (options.ui) {
      const ops = opsHandlers({ config, xmppPort: port, ca, api: manager.api });
      ui = await startUiServer({
        ...ops,
        root: RENDERER_ROOT,
        port: options.ui.port,
        bind: options.ui.bind ?? '127.0.0.1',
        log,
      });
      stops.push(() => (ui as UiServer).stop());
    }
    return { config, port, service, ca, server, firstRun: !stored, ui, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
