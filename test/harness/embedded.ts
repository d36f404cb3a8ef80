// Kestrel's embedded XMPP server for tests, run in the test process: its own temp data
// directory and loopback port. Like the Prosody harness it offers no STARTTLS unless asked
// (@xmpp/client upgrades whenever it is offered, and the test processes do not trust our
// certificate); with `tls` the generated certificate is in `certFile`.
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createXmppServer,
  type XmppServer,
  type XmppServerOptions,
} from '../../src-main/server/xmpp-server.ts';
import type { TestXmppServer } from './xmpp-server.ts';

export interface EmbeddedOptions {
  domain?: string;
  /** Offer STARTTLS with the self-signed certificate the server generates. */
  tls?: boolean;
  /** Any other server option (ping interval, stanza limit…). */
  server?: Partial<XmppServerOptions>;
}

export interface TestEmbedded extends TestXmppServer {
  dir: string;
  port: number;
  /** The running server instance (replaced by restart()). */
  server(): XmppServer;
  certFile: string | undefined;
}

export async function startEmbedded(options: EmbeddedOptions = {}): Promise<TestEmbedded> {
  const domain = options.domain ?? 'kestrel.test';
  const dir = await mkdtemp(join(tmpdir(), 'kestrel-embedded-'));
  const removeOnExit = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeOnExit);
  let port = 0;
  const create = () =>
    createXmppServer({
      domain,
      dataDir: dir,
      port,
      tls: options.tls ? undefined : false,
      // A lower PBKDF2 cost than production keeps account creation cheap in big tests.
      scramIterations: 4096,
      ...options.server,
    });
  let server = create();
  try {
    port = (await server.start()).port;
  } catch (error) {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    kind: 'embedded',
    domain,
    get service() {
      return `xmpp://127.0.0.1:${port}`;
    },
    dir,
    get port() {
      return port;
    },
    server: () => server,
    get certFile() {
      return server.certFile;
    },
    createAccount: (user, password) => server.accounts.add(user, password),
    async restart() {
      await server.stop();
      server = create();
      await server.start();
    },
    async stop() {
      process.off('exit', removeOnExit);
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
