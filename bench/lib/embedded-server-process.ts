// The embedded XMPP server alone in its own process, for benchmarks that must not share a CPU
// core (or an event loop) with their clients. argv[2]: JSON { accounts, prefix, password,
// iterations }. Prints "ready PORT" once it listens with the accounts made; stops on SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createXmppServer } from '../../src-main/server/xmpp-server.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  accounts: number;
  prefix: string;
  password: string;
  iterations?: number;
};
const dataDir = mkdtempSync(join(tmpdir(), 'kestrel-bench-server-'));
const server = createXmppServer({
  domain: 'kestrel.test',
  dataDir,
  port: 0,
  tls: false,
  scramIterations: config.iterations ?? 10_000,
});
const work: Promise<void>[] = [];
for (let i = 0; i < config.accounts; i++) {
  work.push(server.accounts.add(`${config.prefix}${i}`, config.password));
}
await Promise.all(work);
const { port } = await server.start();
process.stdout.write(`ready ${port}\n`);
process.once('SIGTERM', () => {
  void server.stop().then(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
