// Presence and routing on the embedded server (RFC 6121 §3, §4, §8): what a scheduler relies on.
// The peers that get killed or frozen are slixmpp processes (a client we did not write); the
// observers are Kestrel's own connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createConnection, type XmppConnection } from '../../../src-main/xmpp/connection.ts';
import { nextEvent } from '../../harness/connection-events.ts';
import { startEmbedded, type TestEmbedded } from '../../harness/embedded.ts';
import { rawLogin, type RawClient } from '../../harness/raw-xmpp.ts';
import { startSlixmpp, type SlixmppClient } from '../../harness/slixmpp.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';

const PASSWORD = 'presence-pw';
const PING_INTERVAL_MS = 1_000;
const PING_TIMEOUT_MS = 1_000;

let server: TestEmbedded;
const connections: XmppConnection[] = [];
const peers: SlixmppClient[] = [];
const raws: RawClient[] = [];

beforeAll(async () => {
  server = await startEmbedded({
    server: { pingIntervalMs: PING_INTERVAL_MS, pingTimeoutMs: PING_TIMEOUT_MS },
  });
});
afterAll(async () => {
  for (const peer of peers) peer.kill('SIGKILL');
  for (const raw of raws) raw.destroy();
  await Promise.all(connections.map((c) => c.stop()));
  await server?.stop();
});

async function account(prefix: string): Promise<string> {
  const user = uniqueUser(prefix);
  await server.createAccount(user, PASSWORD);
  return user;
}

function connect(user: string, accept = true, resource?: string): XmppConnection {
  const connection = createConnection({
    service: server.service,
    domain: server.domain,
    username: user,
    password: PASSWORD,
    resource,
    acceptSubscription: () => accept,
  });
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
}

function peer(user: string, extra: { subscribe?: string[]; directed?: string[] }): SlixmppClient {
  const client = startSlixmpp({
    jid: `${user}@${server.domain}/peer`,
    password: PASSWORD,
    host: '127.0.0.1',
    port: server.port,
    ...extra,
  });
  peers.push(client);
  return client;
}

const bare = (user: string) => `${user}@${server.domain}`;

describe('presence on the embedded server', () => {
  it('reports a SIGKILLed subscriber-visible client unavailable at once', async () => {
    const observerUser = await account('observer');
    const observer = connect(observerUser);
    await observer.start();
    const peerUser = await account('peer');
    const peerJid = `${bare(peerUser)}/peer`;
    const online = nextEvent(
      observer,
      'presence',
      (p) => p.from === peerJid && p.available,
      10_000,
    );
    const client = peer(peerUser, { subscribe: [bare(observerUser)] });
    await online;

    const gone = nextEvent(observer, 'presence', (p) => p.from === peerJid && !p.available);
    const killedAt = performance.now();
    client.kill('SIGKILL');
    await gone;
    const delay = performance.now() - killedAt;
    console.log(`slixmpp SIGKILL → unavailable at the subscriber after ${delay.toFixed(1)} ms`);
    expect(delay).toBeLessThan(1_000);
  });

  it('drops a SIGSTOPped client within the ping interval and timeout', async () => {
    const observerUser = await account('observer');
    const observer = connect(observerUser);
    await observer.start();
    const peerUser = await account('frozen');
    const peerJid = `${bare(peerUser)}/peer`;
    const online = nextEvent(
      observer,
      'presence',
      (p) => p.from === peerJid && p.available,
      10_000,
    );
    const client = peer(peerUser, { subscribe: [bare(observerUser)] });
    await online;
    // Alive and answering pings for a few intervals first.
    await new Promise((resolve) => setTimeout(resolve, 3 * PING_INTERVAL_MS));
    expect(server.server().counters.sessions).toBeGreaterThanOrEqual(2);

    const limit = PING_INTERVAL_MS + PING_TIMEOUT_MS + 1_000; // + sweep granularity and slack
    const gone = nextEvent(
      observer,
      'presence',
      (p) => p.from === peerJid && !p.available,
      limit + 2_000,
    );
    const stoppedAt = performance.now();
    client.kill('SIGSTOP');
    try {
      await gone;
      const delay = performance.now() - stoppedAt;
      console.log(
        `slixmpp SIGSTOP → dropped and unavailable after ${delay.toFixed(0)} ms ` +
          `(ping interval ${PING_INTERVAL_MS} ms, timeout ${PING_TIMEOUT_MS} ms)`,
      );
      expect(delay).toBeLessThan(limit);
    } finally {
      client.kill('SIGCONT');
      client.kill('SIGKILL');
    }
  });

  it('sends unavailable to a directed-presence recipient when the sender is killed', async () => {
    const observerUser = await account('observer');
    const observer = connect(observerUser, false, 'desk');
    await observer.start();
    const peerUser = await account('direct');
    const peerJid = `${bare(peerUser)}/peer`;
    const online = nextEvent(
      observer,
      'presence',
      (p) => p.from === peerJid && p.available,
      10_000,
    );
    const client = peer(peerUser, { directed: [observer.jid ?? ''] });
    await online;
    const gone = nextEvent(observer, 'presence', (p) => p.from === peerJid && !p.available);
    client.kill('SIGKILL');
    await gone;
  });

  it('remembers a subscription request to an offline user until their next login', async () => {
    const aliceUser = await account('alice');
    const bobUser = await account('bob');
    const alice = connect(aliceUser);
    await alice.start();
    await alice.subscribe(bare(bobUser)); // bob has never logged in
    await new Promise((resolve) => setTimeout(resolve, 100));
    const bob = connect(bobUser);
    const aliceSeesBob = nextEvent(
      alice,
      'presence',
      (p) => p.from.startsWith(`${bare(bobUser)}/`) && p.available,
    );
    await bob.start(); // approves on delivery (connection.ts), which makes the subscription
    await aliceSeesBob;
    // ...and the subscription is in both rosters after a server restart.
    const bobBack = nextEvent(
      alice,
      'presence',
      (p) => p.from.startsWith(`${bare(bobUser)}/`) && p.available,
      20_000,
    );
    await server.restart();
    await bobBack;
  });
});

describe('routing on the embedded server (RFC 6121 §8.5)', () => {
  it('sends a message to a bare JID to the highest-priority resource, and to a gone full JID likewise', async () => {
    const bobUser = await account('bob');
    const high = await rawLogin(server.port, server.domain, bobUser, PASSWORD, 'high');
    const low = await rawLogin(server.port, server.domain, bobUser, PASSWORD, 'low');
    raws.push(high, low);
    high.send('<presence><priority>5</priority></presence>');
    low.send('<presence><priority>1</priority></presence>');
    await low.waitFor(/from="[^"]*\/high"[^>]*>\s*<priority>5/);
    const alice = connect(await account('alice'));
    await alice.start();
    await alice.sendText(bare(bobUser), 'to the bare JID');
    await alice.sendText(`${bare(bobUser)}/gone`, 'to a gone resource');
    await high.waitFor(/to a gone resource/);
    expect(high.received()).toContain('to the bare JID');
    expect(low.received()).not.toContain('to the bare JID');
    expect(low.received()).not.toContain('to a gone resource');

    // An IQ to a full JID that is not there bounces; one to a bare JID is the server's to answer.
    high.send(
      `<iq type='get' id='q1' to='${bare(bobUser)}/gone'><ping xmlns='urn:xmpp:ping'/></iq>`,
    );
    await high.waitFor(/id="q1"[^>]*type="error"[\s\S]*service-unavailable/);
    high.send(`<iq type='get' id='q2' to='${bare(bobUser)}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await high.waitFor(/<iq id="q2" type="result"/);
    high.send(
      `<iq type='get' id='q3' to='${server.domain}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
    );
    const info = await high.waitFor(/id="q3"[\s\S]*<\/iq>/);
    expect(info).toContain('var="offline-storage"');
    high.send(`<message to='someone@elsewhere.example' id='m1'><body>x</body></message>`);
    await high.waitFor(/id="m1" type="error"[\s\S]*not-allowed/);
  });

  it('kicks the older session of a resource with a conflict stream error', async () => {
    const user = await account('twin');
    const first = await rawLogin(server.port, server.domain, user, PASSWORD, 'same');
    raws.push(first);
    const second = await rawLogin(server.port, server.domain, user, PASSWORD, 'same');
    raws.push(second);
    await first.waitFor(/<conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await first.closed;
    second.send(`<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await second.waitFor(/id="alive" type="result"/);
  });
});
