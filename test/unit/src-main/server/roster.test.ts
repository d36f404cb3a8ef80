import { describe, expect, it } from 'vitest';

import {
  contactSubscribed,
  emptyRoster,
  inboundSubscribe,
  inboundSubscribed,
  inboundUnsubscribe,
  inboundUnsubscribed,
  outboundSubscribe,
  outboundSubscribed,
  outboundUnsubscribe,
  rosterFull,
  outboundUnsubscribed,
  ownerSubscribed,
  type Roster,
  type Subscription,
} from '../../../../src-main/server/roster.ts';

const C = 'contact@kestrel.test';

function withItem(subscription: Subscription, ask = false): Roster {
  const roster = emptyRoster();
  roster.items.set(C, { subscription, ask, name: undefined, groups: [] });
  return roster;
}

const state = (roster: Roster) => {
  const item = roster.items.get(C);
  return item ? `${item.subscription}${item.ask ? '+ask' : ''}` : 'absent';
};

describe('subscription state machine (RFC 6121 §3, Appendix A)', () => {
  it('walks a mutual subscription from both ends', () => {
    const user = emptyRoster();
    const contact = emptyRoster();
    const U = 'user@kestrel.test';
    // user → subscribe → contact
    expect(outboundSubscribe(user, C)).toBe(true);
    expect(state(user)).toBe('none+ask');
    expect(inboundSubscribe(contact, U, '<presence type="subscribe"/>')).toBe(true);
    expect(contact.items.has(U)).toBe(false); // pending in shows no roster item (§3.1.3)
    // contact → subscribed → user
    expect(outboundSubscribed(contact, U)).toBe(true);
    expect(contact.items.get(U)?.subscription).toBe('from');
    expect(contact.pending.size).toBe(0);
    expect(inboundSubscribed(user, C)).toBe(true);
    expect(state(user)).toBe('to');
    // and back the other way
    expect(outboundSubscribe(contact, U)).toBe(true);
    expect(inboundSubscribe(user, C, '')).toBe(true);
    expect(outboundSubscribed(user, C)).toBe(true);
    expect(inboundSubscribed(contact, U)).toBe(true);
    expect(state(user)).toBe('both');
    expect(contact.items.get(U)?.subscription).toBe('both');
    expect(ownerSubscribed(user, C) && contactSubscribed(user, C)).toBe(true);
  });

  it.each([
    ['none', false, true, 'none+ask'],
    ['from', false, true, 'from+ask'],
    ['none', true, false, 'none+ask'],
    ['to', false, false, 'to'],
    ['both', false, false, 'both'],
  ] as const)(
    'outbound subscribe from %s (ask %s): changed %s → %s',
    (sub, ask, changed, after) => {
      const roster = withItem(sub, ask);
      expect(outboundSubscribe(roster, C)).toBe(changed);
      expect(state(roster)).toBe(after);
    },
  );

  it.each([
    ['both', 'from'],
    ['to', 'none'],
    ['from', 'from'],
  ] as const)('outbound unsubscribe from %s → %s', (sub, after) => {
    const roster = withItem(sub, true);
    outboundUnsubscribe(roster, C);
    expect(state(roster)).toBe(after);
  });

  it('ignores subscribed without a pending request (no pre-approval) and inbound subscribed nobody asked for', () => {
    const roster = withItem('none');
    expect(outboundSubscribed(roster, C)).toBe(false);
    expect(state(roster)).toBe('none');
    expect(inboundSubscribed(roster, C)).toBe(false);
    expect(state(roster)).toBe('none');
  });

  it('does not remember a request from a contact that is subscribed already', () => {
    const roster = withItem('from');
    expect(inboundSubscribe(roster, C, '')).toBe(false);
    expect(roster.pending.size).toBe(0);
  });

  it('cancels and denies (unsubscribed) in both directions', () => {
    const both = withItem('both');
    expect(outboundUnsubscribed(both, C)).toEqual({ changed: true, wasSubscribed: true });
    expect(state(both)).toBe('to');
    const asking = withItem('none', true);
    expect(inboundUnsubscribed(asking, C)).toBe(true);
    expect(state(asking)).toBe('none');
    const pending = emptyRoster();
    inboundSubscribe(pending, C, '');
    expect(outboundUnsubscribed(pending, C)).toEqual({ changed: true, wasSubscribed: false });
    expect(pending.pending.size).toBe(0);
    const from = withItem('from');
    expect(inboundUnsubscribe(from, C)).toBe(true);
    expect(state(from)).toBe('none');
  });
});

describe('roster limit', () => {
  it('counts only items without a subscription, and never refuses an existing item', () => {
    const roster = emptyRoster();
    for (let i = 0; i < 3; i++) {
      roster.items.set(`w${i}@x`, {
        subscription: 'both',
        ask: false,
        name: undefined,
        groups: [],
      });
    }
    roster.items.set('n0@x', { subscription: 'none', ask: true, name: undefined, groups: [] });
    expect(rosterFull(roster, 'new@x', 2)).toBe(false); // 4 items, only 1 unilateral
    roster.items.set('n1@x', { subscription: 'none', ask: false, name: undefined, groups: [] });
    expect(rosterFull(roster, 'new@x', 2)).toBe(true);
    expect(rosterFull(roster, 'n1@x', 2)).toBe(false);
  });
});
