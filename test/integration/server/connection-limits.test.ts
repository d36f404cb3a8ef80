// Connections from one source and connections that never log in, on the embedded server with
// lowered caps and real sockets from several loopback addresses (every 127.x address reaches
// the server from this host). Beyond a cap the server closes the connection at once, without
// a byte, and logs one summary line for all the refusals, never one line each.
import { afterAll, describe, expect, it } from 'vitest';

import type { Logger } from '../../../src-main/common/log.ts';
import { startEmbedded, type EmbeddedOptions, type TestEmbedded } from '../../harness/embedded.ts';
import { connectOutcome, loginOn, type RawClient } from '../../harness/raw-xmpp.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';
import { crashed, createTally, expectOutcome, report } from './tally.ts';

const PASSWORD = 'limits-pw';
const tally = createTally();
let crashes = 0;
const raws: RawClient[] = [];

afterAll(() => {
  console.log(report('connections', tally, crashes));
  for (const raw of raws) raw.destroy();
});

/** A server of its own with these limits; its warnings are kept. */
async function withServer(
  server: EmbeddedOptions['server'],
  run: (s: TestEmbedded, warnings: string[]) => Promise<void>,
): Promise<string[]> {
  const warnings: string[] = [];
  const log: Logger = {
    info: () => undefined,
    warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
    error: () => undefined,
  };
  const s = await startEmbedded({ server: { ...server, log } });
  const bystander = uniqueUser('bystander');
  await s.createAccount(bystander, PASSWORD);
  try {
    await run(s, warnings);
    // Every stream ended and let go of by the server, then a bystander must still get in.
    await Promise.all(raws.splice(0).map(leave));
    crashes += await crashed(s, bystander, PASSWORD);
  } finally {
    await s.stop(); // logs the refusals not summed up yet
  }
  return warnings;
}

async function connect(s: TestEmbedded, from: string, label: string, want: 'accepted' | 'refused') {
  const { outcome, client } = await connectOutcome(s.port, s.domain, { localAddress: from });
  raws.push(client);
  expectOutcome(tally, label, want === 'accepted' ? 'allowed' : 'refused', outcome, want);
  return client;
}

/** Ends a stream as a client does and waits until the server has let go of it. */
async function leave(raw: RawClient): Promise<void> {
  raw.send('</stream:stream>');
  await raw.closed;
}

describe('connection limits at accept time', () => {
  it('caps connections per source address and unauthenticated connections overall', async () => {
    const warnings = await withServer(
      { loopbackIsLocal: false, maxConnectionsPerAddress: 5, maxUnauthenticatedConnections: 8 },
      async (s) => {
        const first: RawClient[] = [];
        for (let i = 0; i < 5; i++) {
          first.push(await connect(s, '127.0.0.2', `127.0.0.2 #${i}`, 'accepted'));
        }
        for (let i = 5; i < 12; i++) await connect(s, '127.0.0.2', `127.0.0.2 #${i}`, 'refused');
        // Another address has its own 5, but only 3 fit under the 8 unauthenticated.
        const others: RawClient[] = [];
        for (let i = 0; i < 3; i++) {
          others.push(await connect(s, '127.0.0.3', `127.0.0.3 #${i}`, 'accepted'));
        }
        await connect(s, '127.0.0.3', '127.0.0.3 #3 (9th unauthenticated)', 'refused');
        // A connection that binds a resource no longer counts as unauthenticated…
        const user = uniqueUser('member');
        await s.createAccount(user, PASSWORD);
        await loginOn(others[0]!, s.domain, user, PASSWORD, 'r');
        await connect(s, '127.0.0.4', '127.0.0.4 after a login', 'accepted');
        // …and a closed one frees its address's slot.
        await leave(first[0]!);
        await connect(s, '127.0.0.2', '127.0.0.2 after one left', 'accepted');
        expect(s.server().counters.connectionsRefused).toBe(8);
      },
    );
    const summaries = warnings.filter((line) => line.startsWith('connections refused'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatch(
      /"refused":8,"overPerAddressLimit":7,"overUnauthenticatedLimit":1/,
    );
  });

  it('counts this host’s loopback sources as one budget, exempt from the unauthenticated cap', async () => {
    await withServer({ maxLoopbackConnections: 6, maxUnauthenticatedConnections: 2 }, async (s) => {
      // 6 streams that never log in, from two loopback addresses: all are this host's.
      for (let i = 0; i < 6; i++) {
        const from = i % 2 === 0 ? '127.0.0.1' : '127.0.0.5';
        await connect(s, from, `loopback #${i}`, 'accepted');
      }
      await connect(s, '127.0.0.6', 'loopback #6', 'refused');
    });
  });
});
