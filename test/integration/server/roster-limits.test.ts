// Rosters under a hostile pool member, on the embedded server with lowered caps: subscription
// requests to accounts that do not exist leave no roster state, a roster stops growing at its
// cap, an account stops collecting requests it has not answered, and a roster far larger than
// any cap (planted in the database) is still served whole.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { DATABASE_FILE } from '../../../src-main/server/database.ts';
import { startEmbedded, type TestEmbedded } from '../../harness/embedded.ts';
import { rawLogin, type RawClient } from '../../harness/raw-xmpp.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';
import { crashed, createTally, expectOutcome, report } from './tally.ts';

const PASSWORD = 'roster-pw';
const MAX_ITEMS = 50;
const MAX_PENDING = 5;
const tally = createTally();
let crashes = 0;
let server: TestEmbedded;
let bystander: string;
const raws: RawClient[] = [];

beforeAll(async () => {
  server = await startEmbedded({
    server: { maxRosterItems: MAX_ITEMS, maxPendingSubscriptions: MAX_PENDING },
  });
  bystander = uniqueUser('bystander');
  await server.createAccount(bystander, PASSWORD);
});
afterEach(async () => {
  crashes += await crashed(server, bystander, PASSWORD);
});
afterAll(async () => {
  console.log(report('rosters', tally, crashes));
  for (const raw of raws) raw.destroy();
  await server?.stop();
});

async function login(on: TestEmbedded, user: string, resource = 'r'): Promise<RawClient> {
  const raw = await rawLogin(on.port, on.domain, user, PASSWORD, resource);
  raws.push(raw);
  return raw;
}

async function account(prefix: string): Promise<string> {
  const user = uniqueUser(prefix);
  await server.createAccount(user, PASSWORD);
  return user;
}

/** The roster's items, as the server answers a roster get. */
async function rosterSize(raw: RawClient, id: string): Promise<number> {
  const before = raw.received().length;
  raw.send(`<iq type='get' id='${id}'><query xmlns='jabber:iq:roster'/></iq>`);
  await raw.waitFor(new RegExp(`id="${id}"[^>]*type="(result|error)"[\\s\\S]*?</iq>`), 30_000);
  const reply = raw.received().slice(before);
  expect(reply, 'roster get').toMatch(new RegExp(`id="${id}" type="result"`));
  return reply.match(/<item /g)?.length ?? 0;
}

/** Sends `stanza`; resolves with the error condition of the presence error that answers it. */
async function presenceError(raw: RawClient, stanza: string, to: string): Promise<string> {
  const escaped = to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(
    `<presence(?=[^>]*from="${escaped}")(?=[^>]*type="error")[^>]*>[\\s\\S]*?</presence>`,
  );
  const before = raw.received().length;
  raw.send(stanza);
  await raw.waitFor(new RegExp(`^[\\s\\S]{${before}}[\\s\\S]*?${pattern.source}`));
  const reply = pattern.exec(raw.received().slice(before))?.[0] ?? '';
  return /<([a-z-]+) xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/.exec(reply)?.[1] ?? reply;
}

describe('roster and subscription limits (RFC 6121 §2–3)', () => {
  it('answers subscribe to accounts that do not exist with an error, and keeps nothing', async () => {
    const mallory = await login(server, await account('mallory'));
    for (let i = 0; i < 200; i++) {
      const ghost = `ghost-${i}@${server.domain}`;
      const got = await presenceError(mallory, `<presence type='subscribe' to='${ghost}'/>`, ghost);
      expectOutcome(tally, `subscribe to ${ghost}`, 'refused', got, 'service-unavailable');
    }
    expect(await rosterSize(mallory, 'after-ghosts')).toBe(0);
  });

  it(`stops a roster at ${MAX_ITEMS} items with policy-violation`, async () => {
    const mallory = await login(server, await account('mallory'));
    for (let i = 0; i < MAX_ITEMS + 10; i++) {
      const id = `set-${i}`;
      mallory.send(
        `<iq type='set' id='${id}'><query xmlns='jabber:iq:roster'>` +
          `<item jid='contact-${i}@${server.domain}'/></query></iq>`,
      );
      const reply = await mallory.waitFor(new RegExp(`id="${id}"[^>]*type="(result|error)"[^>]*>`));
      const got = new RegExp(`id="${id}"[^>]*type="error"`).test(reply)
        ? /<policy-violation/.test(reply.slice(reply.lastIndexOf(`id="${id}"`)))
          ? 'policy-violation'
          : 'other error'
        : 'result';
      const want = i < MAX_ITEMS ? 'result' : 'policy-violation';
      expectOutcome(tally, `roster set ${i}`, i < MAX_ITEMS ? 'allowed' : 'refused', got, want);
    }
    // A subscription request would add an item too: refused, and not delivered.
    const real = await account('real');
    const target = `${real}@${server.domain}`;
    const got = await presenceError(mallory, `<presence type='subscribe' to='${target}'/>`, target);
    expectOutcome(tally, 'subscribe with a full roster', 'refused', got, 'policy-violation');
    expect(await rosterSize(mallory, 'full')).toBe(MAX_ITEMS);
  });

  it(`keeps at most ${MAX_PENDING} unanswered requests for one account`, async () => {
    const victim = await account('victim');
    const victimJid = `${victim}@${server.domain}`;
    for (let i = 0; i < MAX_PENDING + 3; i++) {
      const asker = await login(server, await account('asker'));
      const stanza = `<presence type='subscribe' to='${victimJid}'/>`;
      let got: string;
      if (i < MAX_PENDING) {
        // Stored: acknowledged as Prosody does, with the victim's unavailable presence.
        asker.send(stanza);
        await asker.waitFor(/<presence[^>]*type="unavailable"/);
        got = 'stored';
      } else {
        got = await presenceError(asker, stanza, victimJid);
      }
      const want = i < MAX_PENDING ? 'stored' : 'resource-constraint';
      expectOutcome(tally, `request ${i}`, i < MAX_PENDING ? 'allowed' : 'refused', got, want);
      asker.destroy();
    }
    // The victim gets exactly the requests that were kept when it comes online.
    const raw = await login(server, victim);
    await raw.waitFor(new RegExp(`(<presence[^>]*type="subscribe"[\\s\\S]*){${MAX_PENDING}}`));
    expect(raw.received().match(/type="subscribe"/g)).toHaveLength(MAX_PENDING);
  });
});

describe('a roster far beyond any cap', () => {
  it('is served whole: no recursion or argument spread as large as the roster', async () => {
    const big = await startEmbedded({
      server: { maxRosterItems: 200_000, maxQueuedBytes: 64 * 1024 * 1024 },
    });
    try {
      const user = uniqueUser('hoarder');
      await big.createAccount(user, PASSWORD);
      // 120 000 items, planted as an older server without limits would have stored them.
      const items = 120_000;
      const db = new DatabaseSync(join(big.dir, DATABASE_FILE));
      db.exec('PRAGMA busy_timeout = 5000; BEGIN');
      const insert = db.prepare(
        `INSERT INTO roster_items (owner, contact, subscription, ask, name, groups)
         VALUES (?, ?, 'none', 0, NULL, '[]')`,
      );
      for (let i = 0; i < items; i++) insert.run(user, `ghost-${i}@${big.domain}`);
      db.exec('COMMIT');
      db.close();
      const raw = await login(big, user);
      const count = await rosterSize(raw, 'huge');
      expectOutcome(tally, 'roster get of 120 000 items', 'allowed', String(count), String(items));
    } finally {
      await big.stop();
    }
  });
});
