import { describe, expect, it } from 'vitest';
import { createPingRounds } from '../../../../src-main/manager/ping-rounds.ts';

/** Pings that settle when the test says so, one pending answer per ping sent. */
function fakePings() {
  const sent: string[] = [];
  const pending = new Map<string, (alive: boolean) => void>();
  const given: string[][] = [];
  const rounds = createPingRounds({
    ping: (jid) =>
      new Promise((resolve) => {
        sent.push(jid);
        pending.set(jid, resolve);
      }),
    silent: (jids) => given.push(jids),
  });
  const answer = async (jid: string, alive: boolean) => {
    pending.get(jid)?.(alive);
    pending.delete(jid);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { rounds, sent, given, answer };
}

describe('ping rounds', () => {
  it('pings a worker that answered again in the next round, while another of its round still times out', async () => {
    const { rounds, sent, answer } = fakePings();
    rounds.round(['dead', 'alive']);
    await answer('alive', true);
    sent.length = 0;
    rounds.round(['dead', 'alive']); // the next interval: dead's ping has not timed out yet
    expect(sent).toEqual(['alive']);
  });

  it('gives up the workers silent in a round together, once the whole round has settled', async () => {
    const { rounds, given, answer } = fakePings();
    rounds.round(['a', 'b', 'c']);
    await answer('a', false);
    expect(given).toEqual([]);
    await answer('b', true);
    await answer('c', false);
    expect(given).toEqual([['a', 'c']]);
  });

  it('pings a silent worker again only after its round has given it up', async () => {
    const { rounds, sent, given, answer } = fakePings();
    rounds.round(['frozen', 'slow']);
    await answer('frozen', false);
    sent.length = 0;
    rounds.round(['frozen', 'slow']);
    expect(sent).toEqual([]);
    await answer('slow', true);
    expect(given).toEqual([['frozen']]);
    rounds.round(['frozen', 'slow']);
    expect(sent).toEqual(['frozen', 'slow']);
  });
});
