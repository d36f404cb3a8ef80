// The set-up every hostile-input suite shares: one server for the file, a pool per test that is
// closed after it (a manager found dead then counts as a crash), and the tally line at the end.
import { afterAll, afterEach, beforeAll } from 'vitest';

import type { Pool } from '../../harness/pool.ts';
import { startTestServer, type TestXmppServer } from '../../harness/xmpp-server.ts';
import { createTally, managerAlive, report, type Tally } from './probe.ts';

export interface HostileSuite {
  readonly server: TestXmppServer;
  /** The test's pool: closed after the test. */
  pool: Pool | undefined;
  readonly tally: Tally;
  /** Run after the test, before the pool closes (extra clients, temp dirs). */
  cleanup(step: () => unknown): void;
}

export function useHostileSuite(
  name: string,
  start: () => Promise<TestXmppServer> = startTestServer,
): HostileSuite {
  let server: TestXmppServer | undefined;
  const steps: (() => unknown)[] = [];
  let crashes = 0;
  const suite: HostileSuite = {
    get server() {
      if (!server) throw new Error('the server is not started yet (use it inside a test)');
      return server;
    },
    pool: undefined,
    tally: createTally(),
    cleanup: (step) => void steps.push(step),
  };
  beforeAll(async () => {
    server = await start();
  });
  afterEach(async () => {
    if (suite.pool && !managerAlive(suite.pool)) crashes += 1;
    for (const step of steps.splice(0)) await step();
    await suite.pool?.close();
    suite.pool = undefined;
  });
  afterAll(async () => {
    console.log(report(name, suite.tally, crashes));
    await server?.stop();
  });
  return suite;
}
