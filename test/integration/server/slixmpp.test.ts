// The embedded server against a client we did not write: Debian's python3-slixmpp logs in over
// STARTTLS (trusting only the certificate the server generated) with SCRAM and exchanges
// messages, with another slixmpp and with Kestrel's own client.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmbedded, type TestEmbedded } from '../../harness/embedded.ts';
import { startSlixmpp, type SlixmppClient, type SlixmppConfig } from '../../harness/slixmpp.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/xmpp-client.ts', import.meta.url));
const PASSWORD = 'slix pässword';

let server: TestEmbedded;
const clients: SlixmppClient[] = [];

beforeAll(async () => {
  // TLS offered and required even on loopback: nothing logs in without STARTTLS.
  server = await startEmbedded({ tls: true, server: { requireEncryption: true } });
});
afterAll(async () => {
  for (const client of clients) client.kill();
  await server?.stop();
});

async function account(prefix: string): Promise<string> {
  const user = uniqueUser(prefix);
  await server.createAccount(user, PASSWORD);
  return `${user}@${server.domain}`;
}

function slix(jid: string, extra: Partial<SlixmppConfig> = {}): SlixmppClient {
  const client = startSlixmpp({
    jid,
    password: PASSWORD,
    host: '127.0.0.1',
    port: server.port,
    ca_certs: server.certFile,
    ...extra,
  });
  clients.push(client);
  return client;
}

describe('slixmpp (python3-slixmpp 1.8) against the embedded server', () => {
  it('logs in over STARTTLS with SCRAM and exchanges messages with another slixmpp', async () => {
    const echoJid = await account('echo');
    const talkerJid = await account('talker');
    const echo = slix(`${echoJid}/bot`, { echo: true });
    await echo.waitFor((e) => e.event === 'online');
    const bodies = ['hello', 'ünïcödé ✓', '<b>&amp; not markup</b>'];
    const talker = slix(`${talkerJid}/cli`, {
      disco: true,
      send: bodies.map((body) => ({ to: echoJid, body })),
    });
    for (const client of [echo, talker]) {
      const auth = await client.waitFor((e) => e.event === 'auth');
      expect(auth.mechanism).toMatch(/^SCRAM-SHA-(256|1)$/);
      expect(client.events.map((e) => e.event).indexOf('tls')).toBe(0); // before anything else
    }
    for (const body of bodies) {
      const reply = await talker.waitFor((e) => e.event === 'message' && e.body === body);
      expect(reply).toMatchObject({ sender: `${echoJid}/bot`, type: 'chat' });
    }
    const disco = await talker.waitFor((e) => e.event === 'disco');
    expect(disco.features).toEqual(expect.arrayContaining(['urn:xmpp:ping', 'jabber:iq:roster']));
    expect(disco.features).not.toContain('msgoffline');
  });

  it('gets not-authorized for a wrong password', async () => {
    const jid = await account('wrong');
    const client = slix(`${jid}/x`, { password: 'not the password' });
    await client.waitFor((e) => e.event === 'failed_auth');
    expect(client.events.map((e) => e.event)).not.toContain('online');
  });

  it('answers a message to an offline account with service-unavailable', async () => {
    const offline = await account('offline');
    const jid = await account('sender');
    const client = slix(`${jid}/x`, { send: [{ to: offline, body: 'anyone?' }] });
    const bounce = await client.waitFor((e) => e.event === 'message' && e.type === 'error');
    expect(bounce).toMatchObject({ sender: offline, condition: 'service-unavailable' });
  });

  it('lets Kestrel’s client subscribe to a slixmpp user over STARTTLS', async () => {
    const slixJid = await account('im-user');
    const slixUser = slix(`${slixJid}/desktop`);
    await slixUser.waitFor((e) => e.event === 'online');
    const kestrelUser = uniqueUser('kestrel');
    await server.createAccount(kestrelUser, PASSWORD);
    const config = {
      service: server.service,
      domain: server.domain,
      username: kestrelUser,
      password: PASSWORD,
      subscribeTo: slixJid,
    };
    // Trust comes from NODE_EXTRA_CA_CERTS only, as in production.
    const child = spawn(process.execPath, [FIXTURE, JSON.stringify(config)], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: server.certFile ?? '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      // slixmpp approves subscriptions by default and subscribes back; the fixture approves.
      const seen = await slixUser.waitFor(
        (e) => e.event === 'available' && String(e.jid).startsWith(`${kestrelUser}@`),
        15_000,
      );
      expect(seen.jid).toMatch(new RegExp(`^${kestrelUser}@${server.domain}/.+`));
    } finally {
      child.kill('SIGKILL');
    }
  });
});
