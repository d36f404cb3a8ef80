// Accounts, invites and rosters on the embedded server: XEP-0077 registration only with a
// one-time invite token (XEP-0445 preauth or the form's token field), password change and
// removal, roster set/push/remove with the subscriptions it cancels (RFC 6121 §2), shutdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createConnection } from '../../../src-main/xmpp/connection.ts';
import { startEmbedded, type TestEmbedded } from '../../harness/embedded.ts';
import { rawConnect, rawLogin, streamHeader, type RawClient } from '../../harness/raw-xmpp.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';

const PASSWORD = 'accounts-pw';
let server: TestEmbedded;
const raws: RawClient[] = [];

beforeAll(async () => {
  server = await startEmbedded();
});
afterAll(async () => {
  for (const raw of raws) raw.destroy();
  await server?.stop();
});

/** Matches an element start tag with these attributes, in any order. */
function tag(name: string, attrs: Record<string, string>): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const lookaheads = Object.entries(attrs)
    .map(([key, value]) => `(?=[^>]*\\s${key}="${escape(value)}")`)
    .join('');
  return new RegExp(`<${name}${lookaheads}[^>]*>`);
}

async function preAuthStream(): Promise<RawClient> {
  const raw = await rawConnect(server.port);
  raws.push(raw);
  raw.send(streamHeader(server.domain));
  const features = await raw.waitFor(/<\/stream:features>/);
  expect(features).toContain('<register xmlns="urn:xmpp:ibr-token:0"/>');
  return raw;
}

function register(
  raw: RawClient,
  id: string,
  user: string,
  password: string,
  token?: string,
): void {
  const fields = `<username>${user}</username><password>${password}</password>`;
  const form =
    token === undefined
      ? ''
      : `<x xmlns='jabber:x:data' type='submit'>` +
        `<field var='FORM_TYPE'><value>jabber:iq:register</value></field>` +
        `<field var='username'><value>${user}</value></field>` +
        `<field var='password'><value>${password}</value></field>` +
        `<field var='token'><value>${token}</value></field></x>`;
  raw.send(
    `<iq type='set' id='${id}'><query xmlns='jabber:iq:register'>${token === undefined ? fields : form}</query></iq>`,
  );
}

describe('in-band registration (XEP-0077) by invite only', () => {
  it('refuses registration without a token and accepts one preauth token once', async () => {
    const raw = await preAuthStream();
    raw.send(`<iq type='get' id='form'><query xmlns='jabber:iq:register'/></iq>`);
    expect(await raw.waitFor(/id="form"[\s\S]*<\/iq>/)).toContain('var="token"');
    const user = uniqueUser('newbie');
    register(raw, 'r1', user, 'new-pw');
    await raw.waitFor(/id="r1" type="error"[\s\S]*<forbidden/);

    const { token } = server.server().invites.create();
    raw.send(`<iq type='set' id='pre-bad'><preauth xmlns='urn:xmpp:pars:0' token='nope'/></iq>`);
    await raw.waitFor(/id="pre-bad" type="error"[\s\S]*<forbidden/);
    raw.send(`<iq type='set' id='pre'><preauth xmlns='urn:xmpp:pars:0' token='${token}'/></iq>`);
    await raw.waitFor(/<iq id="pre" type="result"/);
    register(raw, 'r2', user, 'new-pw');
    await raw.waitFor(/<iq id="r2" type="result"/);
    expect(server.server().accounts.exists(user)).toBe(true);

    // Spent: the same token does not register anyone else.
    const other = await preAuthStream();
    other.send(`<iq type='set' id='pre2'><preauth xmlns='urn:xmpp:pars:0' token='${token}'/></iq>`);
    await other.waitFor(/id="pre2" type="error"[\s\S]*<forbidden/);

    const client = createConnection({
      service: server.service,
      domain: server.domain,
      username: user,
      password: 'new-pw',
    });
    await client.start();
    await client.stop();
  });

  it('takes the token from the registration form, and refuses taken names', async () => {
    const taken = uniqueUser('taken');
    await server.createAccount(taken, PASSWORD);
    const { token } = server.server().invites.create();
    const raw = await preAuthStream();
    register(raw, 'dup', taken, 'x', token);
    await raw.waitFor(/id="dup" type="error"[\s\S]*<conflict/);
    const user = uniqueUser('formed');
    register(raw, 'ok', user, 'form-pw', token);
    await raw.waitFor(/<iq id="ok" type="result"/);
    expect(await server.server().accounts.verify(user, 'form-pw')).toBe(true);
  });

  it('lets a user change the password and cancel the account, which ends its sessions', async () => {
    const user = uniqueUser('leaver');
    await server.createAccount(user, PASSWORD);
    const raw = await rawLogin(server.port, server.domain, user, PASSWORD, 'main');
    raws.push(raw);
    raw.send(
      `<iq type='set' id='pw'><query xmlns='jabber:iq:register'>` +
        `<username>${user}</username><password>changed</password></query></iq>`,
    );
    await raw.waitFor(/<iq id="pw" type="result"/);
    expect(await server.server().accounts.verify(user, 'changed')).toBe(true);
    const second = await rawLogin(server.port, server.domain, user, 'changed', 'second');
    raws.push(second);
    raw.send(`<iq type='set' id='bye'><query xmlns='jabber:iq:register'><remove/></query></iq>`);
    await raw.waitFor(/<iq id="bye" type="result"/);
    await second.waitFor(/<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await Promise.all([raw.closed, second.closed]);
    expect(server.server().accounts.exists(user)).toBe(false);
  });
});

describe('roster management (RFC 6121 §2)', () => {
  it('pushes a roster set to every interested resource and cancels subscriptions on remove', async () => {
    const [a, b] = [uniqueUser('ann'), uniqueUser('ben')];
    await server.createAccount(a, PASSWORD);
    await server.createAccount(b, PASSWORD);
    const [annJid, benJid] = [`${a}@${server.domain}`, `${b}@${server.domain}`];
    const ann1 = await rawLogin(server.port, server.domain, a, PASSWORD, 'one');
    const ann2 = await rawLogin(server.port, server.domain, a, PASSWORD, 'two');
    const ben = await rawLogin(server.port, server.domain, b, PASSWORD, 'desk');
    raws.push(ann1, ann2, ben);
    for (const [raw, id] of [
      [ann1, 'g1'],
      [ann2, 'g2'],
      [ben, 'g3'],
    ] as const) {
      raw.send(`<iq type='get' id='${id}'><query xmlns='jabber:iq:roster'/></iq>`);
      await raw.waitFor(new RegExp(`id="${id}" type="result"`));
    }
    ann1.send(
      `<iq type='set' id='add'><query xmlns='jabber:iq:roster'>` +
        `<item jid='${benJid}' name='Ben'><group>Workers</group></item></query></iq>`,
    );
    await ann1.waitFor(/<iq id="add" type="result"/);
    await ann2.waitFor(
      new RegExp(`<item jid="${benJid}" subscription="none" name="Ben"><group>Workers</group>`),
    );

    // Mutual subscription, with roster pushes along the way (§3.1).
    ann1.send(`<presence to='${benJid}' type='subscribe'/>`);
    await ben.waitFor(tag('presence', { type: 'subscribe', from: annJid }));
    await ann2.waitFor(/subscription="none" ask="subscribe"/);
    ben.send(`<presence to='${annJid}' type='subscribed'/>`);
    await ann2.waitFor(/subscription="to" name="Ben"/);
    await ann1.waitFor(tag('presence', { from: `${benJid}/desk` })); // Ben's presence follows
    await ben.waitFor(new RegExp(`<item jid="${annJid}" subscription="from"`));

    // Removing the item unsubscribes (§2.5.2): Ben's roster says none, Ben sees Ann leave.
    ann1.send(
      `<iq type='set' id='rm'><query xmlns='jabber:iq:roster'><item jid='${benJid}' subscription='remove'/></query></iq>`,
    );
    await ann2.waitFor(new RegExp(`<item jid="${benJid}" subscription="remove"/>`));
    await ben.waitFor(new RegExp(`<item jid="${annJid}" subscription="none"`));
    await ben.waitFor(tag('presence', { type: 'unsubscribe', from: annJid }));
    ann1.send(
      `<iq type='set' id='rm2'><query xmlns='jabber:iq:roster'><item jid='${benJid}' subscription='remove'/></query></iq>`,
    );
    await ann1.waitFor(/id="rm2" type="error"[\s\S]*<item-not-found/);
    ann1.send(
      `<iq type='set' id='self'><query xmlns='jabber:iq:roster'><item jid='${annJid}'/></query></iq>`,
    );
    await ann1.waitFor(/id="self" type="error"[\s\S]*<not-allowed/);
  });
});

describe('shutdown', () => {
  it('closes every stream with system-shutdown, and stop() may be called twice', async () => {
    const own = await startEmbedded();
    const user = uniqueUser('last');
    await own.createAccount(user, PASSWORD);
    const raw = await rawLogin(own.port, own.domain, user, PASSWORD, 'r');
    const unauthenticated = await rawConnect(own.port);
    unauthenticated.send(streamHeader(own.domain));
    await unauthenticated.waitFor(/<\/stream:features>/);
    const server = own.server();
    await Promise.all([server.stop(), server.stop()]);
    for (const client of [raw, unauthenticated]) {
      await client.waitFor(
        /<system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>[\s\S]*<\/stream:stream>/,
      );
      await client.closed;
    }
    await own.stop();
  });
});
