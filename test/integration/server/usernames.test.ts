// Usernames over XMPP on the embedded server: names that pass for the head node's 'manager' and
// 'admin' accounts, or that cannot log in, are refused at registration (XEP-0077) with the invite
// left unspent; accounts.add refuses them too; and login prepares the name exactly as
// registration did (RFC 8265 UsernameCaseMapped), so it neither strips what registration kept
// nor refuses what registration mapped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmbedded, type TestEmbedded } from '../../harness/embedded.ts';
import { rawStream, tryLogin, type RawClient } from '../../harness/raw-xmpp.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';
import { crashed, createTally, expectOutcome, report } from './tally.ts';

const PASSWORD = 'names-pw';
const tally = createTally();
let crashes = 0;
let server: TestEmbedded;
const raws: RawClient[] = [];

beforeAll(async () => {
  server = await startEmbedded();
  await server.createAccount('manager', PASSWORD);
  await server.createAccount('admin', PASSWORD);
});
afterAll(async () => {
  crashes += await crashed(server, 'admin', PASSWORD);
  console.log(report('usernames', tally, crashes));
  for (const raw of raws) raw.destroy();
  await server?.stop();
});

const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Registers with the invite token in the XEP-0077 form: 'result' or the error condition. */
async function register(name: string, token: string): Promise<string> {
  const raw = await rawStream(server.port, server.domain);
  raws.push(raw);
  const id = `reg-${Math.random().toString(36).slice(2)}`;
  raw.send(
    `<iq type='set' id='${id}'><query xmlns='jabber:iq:register'>` +
      `<x xmlns='jabber:x:data' type='submit'>` +
      `<field var='FORM_TYPE'><value>jabber:iq:register</value></field>` +
      `<field var='username'><value>${xmlText(name)}</value></field>` +
      `<field var='password'><value>${PASSWORD}</value></field>` +
      `<field var='token'><value>${token}</value></field></x></query></iq>`,
  );
  const text = await raw.waitFor(
    new RegExp(`id="${id}"[^>]*type="(result"[^>]*/>|error"[\\s\\S]*?</iq>)`),
  );
  const reply = text.slice(text.indexOf(`id="${id}"`));
  if (/^id="[^"]*" type="result"/.test(reply)) return 'result';
  return /<([a-z-]+) xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/.exec(reply)?.[1] ?? reply;
}

async function login(name: string, password = PASSWORD): Promise<string> {
  const raw = await rawStream(server.port, server.domain);
  raws.push(raw);
  const outcome = await tryLogin(raw, name, password);
  raw.destroy();
  return outcome;
}

describe('usernames (RFC 8265 §3.3, TR39)', () => {
  it.each([
    ['\u202emanager', 'jid-malformed'], // right-to-left override
    ['manager\u200f', 'jid-malformed'], // right-to-left mark
    ['admin\u200b', 'jid-malformed'], // zero width space: login would strip it
    ['ad\u00admin', 'jid-malformed'], // soft hyphen
    ['manager\\40kestrel.test', 'jid-malformed'], // XEP-0106 escape of manager@kestrel.test
    ['мanager', 'jid-malformed'], // Cyrillic м among Latin letters
    ['мапаԍег', 'conflict'], // all Cyrillic, looks like manager
    ['rnanager', 'conflict'],
    ['adm1n', 'conflict'],
    ['ADMİN', 'conflict'], // dotted capital I
    ['Admin', 'conflict'], // the same account
    ['ａｄｍｉｎ', 'conflict'], // fullwidth: the same account
  ])('refuses to register %j (%s) and leaves the invite unspent', async (name, condition) => {
    const { token } = server.server().invites.create();
    expectOutcome(
      tally,
      `register ${JSON.stringify(name)}`,
      'refused',
      await register(name, token),
      condition,
    );
    await expect(server.server().accounts.add(name, PASSWORD), name).rejects.toMatchObject({
      code: expect.stringMatching(/^(invalid_username|confusable_username|account_exists)$/),
    });
    // The same invite still registers an honest name.
    const honest = uniqueUser('honest');
    expectOutcome(
      tally,
      `register ${honest} after`,
      'allowed',
      await register(honest, token),
      'result',
    );
    expect(server.server().accounts.list()).not.toContain(name);
  });

  it('logs in with the name as registration prepared it, and only that', async () => {
    const { token } = server.server().invites.create();
    expectOutcome(
      tally,
      'register Ｗｉｄｅ-Worker',
      'allowed',
      await register('Ｗｉｄｅ-Worker', token),
      'result',
    );
    expect(server.server().accounts.exists('wide-worker')).toBe(true);
    for (const name of ['wide-worker', 'WIDE-WORKER', 'Ｗｉｄｅ-Worker']) {
      expectOutcome(tally, `login as ${name}`, 'allowed', await login(name), 'success');
    }
    // What registration refuses, login refuses too: not stripped into someone else's name.
    for (const name of ['wide-worker\u200b', '\u202ewide-worker', 'wide\u00ad-worker']) {
      expectOutcome(
        tally,
        `login as ${JSON.stringify(name)}`,
        'refused',
        await login(name),
        'not-authorized',
      );
    }
  });
});
