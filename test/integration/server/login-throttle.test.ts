// Password guessing against the embedded server over real sockets: each guess on a fresh
// connection from its own loopback address (every 127.x address reaches the server), dropped
// at once as the reported attack did. Lockouts are counted by the server's answers, never by
// the clock: after 5 wrong guesses the 6th attempt is refused unchecked, even with the right
// password; the owner, who logged in from its own address before, is not locked out.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { Logger } from '../../../src-main/common/log.ts';
import { startEmbedded, type TestEmbedded } from '../../harness/embedded.ts';
import { plainAuth, rawStream, tryLogin, type RawClient } from '../../harness/raw-xmpp.ts';
import { uniqueUser } from '../../harness/xmpp-server.ts';
import { crashed, createTally, expectOutcome, report } from './tally.ts';

const PASSWORD = 'right-password';
const GUESSER = { localAddress: '127.0.0.2' };
const tally = createTally();
let crashes = 0;
let server: TestEmbedded;
let bystander: string;
const warnings: string[] = [];
const raws: RawClient[] = [];

const log: Logger = {
  info: () => undefined,
  warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
  error: () => undefined,
};

beforeAll(async () => {
  // A first lockout far longer than any test: nothing here depends on how fast the machine is.
  server = await startEmbedded({ server: { authLockoutMs: 600_000, log } });
  bystander = uniqueUser('bystander');
  await server.createAccount(bystander, PASSWORD);
});
afterEach(async () => {
  crashes += await crashed(server, bystander, PASSWORD);
});
afterAll(async () => {
  console.log(report('login guessing', tally, crashes));
  for (const raw of raws) raw.destroy();
  await server?.stop();
});

async function stream(from = GUESSER): Promise<RawClient> {
  const raw = await rawStream(server.port, server.domain, from);
  raws.push(raw);
  return raw;
}

/** A guess on a fresh connection that is dropped without waiting for the answer. */
async function dropAndGo(user: string, password: string, from = GUESSER): Promise<void> {
  const raw = await stream(from);
  raw.send(plainAuth(user, password));
  raw.end();
  await raw.closed; // the server has read the guess: it closes only after the end of our bytes
}

async function attempt(user: string, password: string, from = GUESSER): Promise<string> {
  const raw = await stream(from);
  const outcome = await tryLogin(raw, user, password);
  raw.destroy();
  return outcome;
}

describe('password guessing (RFC 6120 §6.4.5)', () => {
  it('locks an account out after 5 wrong guesses over fresh connections, right password included', async () => {
    const victim = uniqueUser('victim');
    await server.createAccount(victim, PASSWORD);
    const owner = await attempt(victim, PASSWORD, { localAddress: '127.0.0.1' });
    expectOutcome(tally, 'owner logs in first', 'allowed', owner, 'success');
    const failuresBefore = server.server().counters.authFailures;

    for (let i = 1; i <= 5; i++) await dropAndGo(victim, `guess-${i}`);
    // The right password right after the run: refused like any attempt, without a verdict.
    const right = await attempt(victim, PASSWORD);
    expectOutcome(
      tally,
      'right password after 5 failures',
      'refused',
      right,
      'temporary-auth-failure',
    );
    // Every dropped guess was counted although no client waited for its answer.
    const counted = server.server().counters.authFailures - failuresBefore;
    for (let i = 1; i <= 5; i++) {
      expectOutcome(
        tally,
        `dropped guess ${i}`,
        'refused',
        i <= counted ? 'counted' : 'lost',
        'counted',
      );
    }
    for (let i = 7; i <= 12; i++) {
      const outcome = await attempt(victim, i % 2 === 0 ? PASSWORD : `guess-${i}`);
      expectOutcome(
        tally,
        `attempt ${i} while locked out`,
        'refused',
        outcome,
        'temporary-auth-failure',
      );
    }
    // The refusal says when to come back.
    const raw = await stream();
    raw.send(plainAuth(victim, PASSWORD));
    expect(await raw.waitFor(/<\/failure>/)).toMatch(/try again in \d+ s/);

    // The owner, from the address it logged in from before, is not locked out.
    const again = await attempt(victim, PASSWORD, { localAddress: '127.0.0.1' });
    expectOutcome(tally, 'owner during the lockout', 'allowed', again, 'success');
    // One log line for the one lockout, none per refused attempt.
    expect(warnings.filter((line) => line.includes(`"username":"${victim}"`))).toHaveLength(1);
  });

  it('locks out an address that sprays guesses over many accounts', async () => {
    const sprayer = { localAddress: '127.0.0.3' };
    const target = uniqueUser('target');
    await server.createAccount(target, PASSWORD);
    for (let i = 0; i < 20; i++) {
      const outcome = await attempt(uniqueUser('nobody'), 'guess', sprayer);
      expectOutcome(tally, `spray ${i}`, 'refused', outcome, 'not-authorized');
    }
    const right = await attempt(target, PASSWORD, sprayer);
    expectOutcome(
      tally,
      'right password from the sprayer',
      'refused',
      right,
      'temporary-auth-failure',
    );
    const elsewhere = await attempt(target, PASSWORD, { localAddress: '127.0.0.4' });
    expectOutcome(tally, 'the same account from elsewhere', 'allowed', elsewhere, 'success');
  });

  it('lets the owner in once the lockout it tells of has expired', async () => {
    const quick = await startEmbedded({ server: { authLockoutMs: 200 } });
    try {
      const victim = uniqueUser('victim');
      await quick.createAccount(victim, PASSWORD);
      const from = { localAddress: '127.0.0.5' };
      const once = async (password: string) => {
        const raw = await rawStream(quick.port, quick.domain, from);
        raws.push(raw);
        const before = raw.received().length;
        const outcome = await tryLogin(raw, victim, password);
        const wait = /try again in (\d+) s/.exec(raw.received().slice(before))?.[1];
        raw.destroy();
        return { outcome, waitMs: Number(wait ?? 0) * 1000 };
      };
      for (let i = 0; i < 5; i++) {
        const { outcome } = await once(`guess-${i}`);
        expectOutcome(tally, `guess ${i}`, 'refused', outcome, 'not-authorized');
      }
      // A client that waits as long as it is told gets in: retried at most twice.
      const outcomes: string[] = [];
      for (let tries = 0; tries < 3; tries++) {
        const { outcome, waitMs } = await once(PASSWORD);
        outcomes.push(outcome);
        if (outcome === 'success') break;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
      expect(outcomes.slice(0, -1).every((o) => o === 'temporary-auth-failure')).toBe(true);
      expectOutcome(tally, 'owner after the lockout', 'allowed', outcomes.at(-1) ?? '', 'success');
    } finally {
      await quick.stop();
    }
  });
});
