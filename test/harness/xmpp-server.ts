// The XMPP server the integration suite runs against, whichever it is. Each kind (Prosody, the
// embedded server, ejabberd) implements TestXmppServer; KESTREL_TEST_SERVER picks.
import { randomBytes } from 'node:crypto';

import { startEjabberd } from './ejabberd.ts';
import { startEjabberdCluster } from './ejabberd-cluster.ts';
import { startEmbedded } from './embedded.ts';
import { startProsody } from './prosody.ts';

export interface TestXmppServer {
  kind: string;
  domain: string;
  /** e.g. 'xmpp://127.0.0.1:40123', for createConnection({ service }). */
  service: string;
  /** A cluster's nodes, `service` first (undefined for a single server). */
  services?: string[];
  createAccount(user: string, password: string): Promise<void>;
  /** Stops and starts the server on the same port, keeping accounts and rosters. */
  restart(): Promise<void>;
  /** Kills the server and removes everything it wrote. */
  stop(): Promise<void>;
}

export function startTestServer(): Promise<TestXmppServer> {
  const kind = process.env.KESTREL_TEST_SERVER ?? 'prosody';
  switch (kind) {
    case 'prosody':
      return startProsody();
    case 'embedded':
      return startEmbedded();
    case 'ejabberd':
      return startEjabberd();
    case 'ejabberd-cluster':
      return startEjabberdCluster();
    default:
      throw new Error(
        `KESTREL_TEST_SERVER=${kind}: unknown test server (known: prosody, embedded, ejabberd, ejabberd-cluster)`,
      );
  }
}

/** A fresh localpart, so tests never share accounts (lowercase: servers nodeprep localparts). */
export function uniqueUser(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
