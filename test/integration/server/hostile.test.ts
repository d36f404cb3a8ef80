// Hostile input against the embedded server: each abuse ends that stream with the stream error
// RFC 6120 §4.9 prescribes, or is neutralised (a spoofed 'from'), while two ordinary clients
// keep talking through the same server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createConnection, type XmppConnection } from '../../../src-main/xmpp/connection.ts';
import { nextEvent } from '../../harness/connection-events.ts';
import { startEmbedded, type TestEmbedded } from '../../harness/embedded.ts';
import {
  rawConnect,
  rawLogin,
  rawStream,
  streamHeader,
  tryLogin,
  type RawClient,
} from '../../harness/raw-xmpp.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';

const PASSWORD = 'hostile-pw';
const MAX_STANZA_BYTES = 64 * 1024;

let server: TestEmbedded;
let alice: XmppConnection;
let bob: XmppConnection;
const raws: RawClient[] = [];

beforeAll(async () => {
  server = await startEmbedded({ server: { maxStanzaBytes: MAX_STANZA_BYTES } });
  const [a, b] = [uniqueUser('alice'), uniqueUser('bob')];
  await server.createAccount(a, PASSWORD);
  await server.createAccount(b, PASSWORD);
  const options = { service: server.service, domain: server.domain, password: PASSWORD };
  alice = createConnection({ ...options, username: a });
  bob = createConnection({ ...options, username: b });
  await Promise.all([alice.start(), bob.start()]);
});
afterAll(async () => {
  for (const raw of raws) raw.destroy();
  await Promise.all([alice?.stop(), bob?.stop()]);
  await server?.stop();
});

/** The bystanders still exchange a message both ways. */
async function bystandersStillTalk(): Promise<void> {
  const atBob = nextEvent(bob, 'message', (m) => m.from === alice.jid);
  await alice.sendJson(bob.jid ?? '', { ping: 1 });
  await atBob;
  const atAlice = nextEvent(alice, 'message', (m) => m.from === bob.jid);
  await bob.sendJson(alice.jid ?? '', { pong: 1 });
  await atAlice;
}

async function opened(): Promise<RawClient> {
  const raw = await rawConnect(server.port);
  raws.push(raw);
  raw.send(streamHeader(server.domain));
  await raw.waitFor(/<\/stream:features>/);
  return raw;
}

/** Sends `input` on a fresh stream and expects that stream error, then the server to hang up. */
async function expectStreamError(input: string | string[], condition: string): Promise<string> {
  const raw = await opened();
  for (const part of Array.isArray(input) ? input : [input]) raw.send(part);
  const text = await raw.waitFor(
    new RegExp(`<${condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>`),
  );
  await raw.closed;
  await bystandersStillTalk();
  return text;
}

describe('hostile input', () => {
  it('closes a stream sending malformed XML with not-well-formed', async () => {
    await expectStreamError("<message to='x'><body>oops</message>", 'not-well-formed');
    await expectStreamError('<message to=unquoted/>', 'not-well-formed');
  });

  it('refuses an XML bomb (DTD with entity declarations) with restricted-xml, unexpanded', async () => {
    const raw = await rawConnect(server.port);
    raws.push(raw);
    const entities = Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`,
    ).join('');
    raw.send(`<?xml version="1.0"?><!DOCTYPE stream:stream [<!ENTITY lol0 "lol">${entities}]>`);
    raw.send(
      streamHeader(server.domain).replace("<?xml version='1.0'?>", '') +
        '<message>&lol9;</message>',
    );
    await raw.waitFor(/<restricted-xml xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await raw.closed;
    expect(raw.received().length).toBeLessThan(2_000);
    await expectStreamError('<message>&custom;</message>', 'restricted-xml');
    await expectStreamError('<!-- a comment -->', 'restricted-xml');
    await expectStreamError('<?target instruction?>', 'restricted-xml');
    await bystandersStillTalk();
  });

  it('closes a stream with an oversized stanza with policy-violation', async () => {
    const body = 'x'.repeat(MAX_STANZA_BYTES + 1_000);
    const started = performance.now();
    // Sent unauthenticated: the size check comes before anything looks at the stanza.
    const huge = [`<message to='a@${server.domain}'><body>`, body, '</body></message>'];
    const text = await expectStreamError(huge, 'policy-violation');
    expect(text).toContain(`larger than ${MAX_STANZA_BYTES} bytes`);
    console.log(`oversized stanza refused in ${(performance.now() - started).toFixed(0)} ms`);
    // Without its end tag, too: the server does not wait to buffer the rest.
    await expectStreamError([`<message><body>`, body], 'policy-violation');
  });

  it('refuses stanzas before authentication with not-authorized', async () => {
    await expectStreamError(
      `<message to='${alice.jid}'><body>hi</body></message>`,
      'not-authorized',
    );
    await expectStreamError(`<presence/>`, 'not-authorized');
    await expectStreamError(
      `<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>`,
      'not-authorized',
    );
  });

  it('closes a stream after 3 wrong passwords (lockouts: login-throttle.test.ts)', async () => {
    const user = alice.jid?.split('@')[0] ?? '';
    // From an address of its own, so the lockout it begins touches no other test.
    const raw = await rawStream(server.port, server.domain, { localAddress: '127.0.0.9' });
    raws.push(raw);
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await tryLogin(raw, user, `wrong-${attempt}`)).toBe('not-authorized');
    }
    await raw.waitFor(/<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await raw.closed;
    await bystandersStillTalk();
  });

  it('overwrites a spoofed from with the sender’s real full JID', async () => {
    const mallory = uniqueUser('mallory');
    await server.createAccount(mallory, PASSWORD);
    const raw = await rawLogin(server.port, server.domain, mallory, PASSWORD, 'evil');
    raws.push(raw);
    const atBob = nextEvent(bob, 'message', (m) => m.body === 'trust me');
    raw.send(
      `<message from='${alice.jid}' to='${bob.jid}' type='chat'><body>trust me</body></message>`,
    );
    const [message] = await atBob;
    expect(message.from).toBe(`${mallory}@${server.domain}/evil`);
    // A forged roster push from another account is stamped too, so the client can refuse it.
    raw.send(
      `<iq type='set' id='push' from='${server.domain}' to='${bob.jid}'>` +
        `<query xmlns='jabber:iq:roster'><item jid='${mallory}@${server.domain}' subscription='both'/></query></iq>`,
    );
    await raw.waitFor(/id="push"[^>]*type="error"|type="error"[^>]*id="push"/);
    await bystandersStillTalk();
  });

  it('refuses unknown top-level elements and a wrong stream namespace', async () => {
    await expectStreamError(`<foo xmlns='urn:example'/>`, 'unsupported-stanza-type');
    const raw = await rawConnect(server.port);
    raws.push(raw);
    raw.send(streamHeader(server.domain).replace("xmlns='jabber:client'", "xmlns='jabber:server'"));
    await raw.waitFor(/<invalid-namespace xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    const other = await rawConnect(server.port);
    raws.push(other);
    other.send(streamHeader('not-our-domain.example'));
    await other.waitFor(/<host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await bystandersStillTalk();
  });
});
