// Presence subscriptions (RFC 6121 §3) and probes (§4.3) between local accounts, as Prosody
// handles them: the sender's roster is updated on the way out, the receiver's on the way in,
// each change persisted and pushed to the interested resources (§2.1.6).
import { xml, type Element } from '@xmpp/xml';

import { errorReply, type StanzaErrorCondition } from './errors.ts';
import type { Jid } from './jid.ts';
import type { BoundSession, SessionRegistry } from './registry.ts';
import { pushRosterItem } from './roster-push.ts';
import type { RosterStore } from './roster-store.ts';
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
  outboundUnsubscribed,
  ownerSubscribed,
  rosterFull,
  type Roster,
  type RosterItem,
} from './roster.ts';

export interface SubscriptionDeps {
  registry: SessionRegistry;
  rosters: RosterStore;
  accountExists: (local: string) => boolean;
  limits: RosterLimits;
  /** Routes a presence stanza whose from and to are set to its (local) recipient. */
  post: (stanza: Element) => void;
}

export interface RosterLimits {
  /** Items without a subscription in one roster (roster.ts rosterFull). */
  maxItems: number;
  /** Subscription requests waiting for one account's answer (RFC 6121 §3.1.3). */
  maxPending: number;
}

export interface Subscriptions {
  /** subscribe/subscribed/unsubscribe/unsubscribed sent by a client to `to` (local domain). */
  outbound(origin: BoundSession, stanza: Element, to: Jid): void;
  /** A subscription stanza or probe arriving for the local account `to`. */
  inbound(stanza: Element, from: Jid, to: Jid): void;
  /** Sends each available resource's presence (or unavailable) to `to`; returns how many. */
  presenceOfAvailable(ownerBare: string, to: string, unavailable?: boolean): number;
  /** RFC 6121 §2.5.2: a removed roster item cancels both directions of the subscription. */
  itemRemoved(owner: Jid, contact: string, item: RosterItem, wasPending: boolean): void;
}

export function createSubscriptions(deps: SubscriptionDeps): Subscriptions {
  const { registry, rosters, post, limits } = deps;

  function presence(type: string, from: string, to: string): Element {
    return xml('presence', { type, from, to });
  }

  function changed(owner: Jid, roster: Roster, contact: string): void {
    rosters.save(owner.local, roster, contact);
    pushRosterItem(registry, owner.bare, contact, roster.items.get(contact));
  }

  function presenceOfAvailable(ownerBare: string, to: string, unavailable = false): number {
    let count = 0;
    for (const session of registry.resources(ownerBare)) {
      const current = session.presence;
      if (current === undefined) continue;
      const stanza = unavailable ? presence('unavailable', session.jid.full, to) : current;
      stanza.attrs.to = to;
      post(stanza);
      if (!unavailable) stanza.attrs.to = undefined;
      count++;
    }
    return count;
  }

  function toResources(bare: string, stanza: Element, which: 'available' | 'interested'): void {
    for (const session of registry.resources(bare)) {
      if (which === 'available' ? session.presence !== undefined : session.interested) {
        session.send(stanza);
      }
    }
  }

  /** Refuses a subscription stanza to its sender, on behalf of the contact. */
  function refuse(
    origin: BoundSession,
    stanza: Element,
    condition: StanzaErrorCondition,
    text: string,
  ) {
    origin.send(errorReply(stanza, condition, { text }));
  }

  function outbound(origin: BoundSession, stanza: Element, to: Jid): void {
    const user = origin.jid;
    const contact = to.bare;
    if (contact === user.bare) return; // no self contacts
    // RFC 6121 §3.1.2: subscription stanzas are stamped with the sender's bare JID.
    stanza.attrs.from = user.bare;
    stanza.attrs.to = contact;
    const roster = rosters.load(user.local);
    switch (stanza.attrs.type) {
      case 'subscribe':
        // §3.1.2: a request that cannot be delivered (no such local contact) gets an error and
        // no roster push, so it leaves no state behind.
        if (!deps.accountExists(to.local)) {
          refuse(origin, stanza, 'service-unavailable', 'no such account');
          break;
        }
        // A roster at its limit takes no more (a local policy, RFC 6120 §8.3.3.12).
        if (rosterFull(roster, contact, limits.maxItems)) {
          refuse(origin, stanza, 'policy-violation', `roster full (${limits.maxItems} items)`);
          break;
        }
        if (outboundSubscribe(roster, contact)) changed(user, roster, contact);
        post(stanza);
        break;
      case 'unsubscribe':
        if (outboundUnsubscribe(roster, contact)) changed(user, roster, contact);
        post(stanza);
        break;
      case 'subscribed':
        // §3.1.5: approve, then send the contact our current presence.
        if (outboundSubscribed(roster, contact)) changed(user, roster, contact);
        if (contactSubscribed(roster, contact)) {
          post(stanza);
          presenceOfAvailable(user.bare, contact);
        }
        if (ownerSubscribed(roster, contact)) post(presence('probe', user.bare, contact));
        break;
      case 'unsubscribed': {
        // §3.2.2: cancel or deny, and the contact sees us go unavailable.
        const result = outboundUnsubscribed(roster, contact);
        if (!result.changed) break;
        if (result.wasSubscribed) changed(user, roster, contact);
        else rosters.save(user.local, roster, contact);
        post(stanza);
        if (result.wasSubscribed) presenceOfAvailable(user.bare, contact, true);
        break;
      }
    }
  }

  function inbound(stanza: Element, from: Jid, to: Jid): void {
    const exists = deps.accountExists(to.local);
    const roster = exists ? rosters.load(to.local) : emptyRoster();
    const sender = from.bare;
    switch (stanza.attrs.type) {
      case 'probe':
        // §4.3.2: answer with each available resource's presence, or unavailable, or
        // unsubscribed when the prober is not subscribed (no presence leaks).
        if (!contactSubscribed(roster, sender)) {
          post(presence('unsubscribed', to.bare, sender));
        } else if (presenceOfAvailable(to.bare, from.full) === 0) {
          post(presence('unavailable', to.bare, from.full));
        }
        break;
      case 'subscribe':
        if (contactSubscribed(roster, sender)) {
          // §3.1.3: approved already, so answer on the contact's behalf.
          post(presence('subscribed', to.bare, sender));
          if (presenceOfAvailable(to.bare, sender) === 0) {
            post(presence('unavailable', to.bare, sender));
          }
          break;
        }
        if (exists && !roster.pending.has(sender) && roster.pending.size >= limits.maxPending) {
          // Too many requests waiting for this account's answer: the sender may try later.
          const text = `${limits.maxPending} subscription requests are waiting already`;
          post(errorReply(stanza, 'resource-constraint', { from: to.bare, text }));
          break;
        }
        post(presence('unavailable', to.bare, sender)); // receipt, as Prosody acknowledges
        // §3.1.3: remembered, shown to available resources now and at every initial presence.
        if (exists && inboundSubscribe(roster, sender, stanza.toString())) {
          rosters.save(to.local, roster, sender);
          toResources(to.bare, stanza, 'available');
        }
        break;
      case 'unsubscribe':
        if (exists && inboundUnsubscribe(roster, sender)) settle(to, roster, sender, stanza);
        break;
      case 'subscribed':
        if (exists && inboundSubscribed(roster, sender)) settle(to, roster, sender, stanza);
        break;
      case 'unsubscribed':
        if (exists && inboundUnsubscribed(roster, sender)) settle(to, roster, sender, stanza);
        break;
    }
  }

  /** §3.1.6, §3.2.3, §3.3.3: tell the interested resources, then push the new state. */
  function settle(owner: Jid, roster: Roster, contact: string, stanza: Element): void {
    rosters.save(owner.local, roster, contact);
    toResources(owner.bare, stanza, 'interested');
    pushRosterItem(registry, owner.bare, contact, roster.items.get(contact));
  }

  function itemRemoved(owner: Jid, contact: string, item: RosterItem, wasPending: boolean): void {
    const { subscription } = item;
    const cancel = subscription === 'both' || subscription === 'from';
    const unsubscribe = subscription === 'both' || subscription === 'to' || item.ask;
    if (cancel || unsubscribe) presenceOfAvailable(owner.bare, contact, true);
    if (cancel || wasPending) post(presence('unsubscribed', owner.bare, contact));
    if (unsubscribe) post(presence('unsubscribe', owner.bare, contact));
  }

  return { outbound, inbound, presenceOfAvailable, itemRemoved };
}
