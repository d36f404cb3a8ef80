// Roster get and set (RFC 6121 §2.1–2.5) on the sender's own account. A get makes the resource
// "interested" (§2.2): it receives every later push. Versioning (§2.6) is not offered.
import { xml } from '@xmpp/xml';

import { errorReply, iqResult } from './errors.ts';
import type { IqHandlers } from './iq-handlers.ts';
import { parseJid } from './jid.ts';
import { NS_ROSTER } from './namespaces.ts';
import type { SessionRegistry } from './registry.ts';
import { pushRosterItem, rosterItemElement } from './roster-push.ts';
import type { RosterStore } from './roster-store.ts';
import { rosterFull, setItem } from './roster.ts';
import type { Subscriptions } from './subscriptions.ts';

export interface RosterIqDeps {
  iq: IqHandlers;
  registry: SessionRegistry;
  rosters: RosterStore;
  subscriptions: Subscriptions;
  /** Items without a subscription one roster may hold (roster.ts rosterFull). */
  maxItems: number;
}

export function registerRosterIq(deps: RosterIqDeps): void {
  const { iq, registry, rosters, subscriptions, maxItems } = deps;
  iq.on(['self'], 'get', NS_ROSTER, 'query', ({ stanza, origin }) => {
    const roster = rosters.load(origin.jid.local);
    origin.interested = true;
    // Appended one by one: a spread of every item as arguments overflows the stack.
    const query = xml('query', { xmlns: NS_ROSTER });
    for (const [contact, item] of roster.items) query.append(rosterItemElement(contact, item));
    return iqResult(stanza, query);
  });

  iq.on(['self'], 'set', NS_ROSTER, 'query', ({ stanza, payload, origin }) => {
    const children = payload.getChildElements();
    const element = children[0];
    // §2.3.3: exactly one item, with a bare JID that is not the user's own.
    if (children.length !== 1 || element?.name !== 'item' || element.attrs.jid === undefined) {
      return errorReply(stanza, 'bad-request');
    }
    const contact = parseJid(element.attrs.jid);
    if (contact === undefined || contact.resource !== '')
      return errorReply(stanza, 'jid-malformed');
    const user = origin.jid;
    if (contact.bare === user.bare) return errorReply(stanza, 'not-allowed');
    const roster = rosters.load(user.local);

    if (element.attrs.subscription === 'remove') {
      const item = roster.items.get(contact.bare);
      if (item === undefined) return errorReply(stanza, 'item-not-found');
      const wasPending = roster.pending.delete(contact.bare);
      subscriptions.itemRemoved(user, contact.bare, item, wasPending);
      roster.items.delete(contact.bare);
      rosters.save(user.local, roster, contact.bare);
      afterReply(() => pushRosterItem(registry, user.bare, contact.bare, undefined));
      return iqResult(stanza);
    }

    const groups = [...new Set(element.getChildren('group').map((g) => g.text()))];
    if (groups.some((group) => group === '')) return errorReply(stanza, 'not-acceptable');
    const name = element.attrs.name === '' ? undefined : element.attrs.name;
    if (rosterFull(roster, contact.bare, maxItems)) {
      return errorReply(stanza, 'policy-violation', { text: `roster full (${maxItems} items)` });
    }
    setItem(roster, contact.bare, { name, groups });
    rosters.save(user.local, roster, contact.bare);
    afterReply(() =>
      pushRosterItem(registry, user.bare, contact.bare, roster.items.get(contact.bare)),
    );
    return iqResult(stanza);
  });
}

/** §2.3.2: the result goes to the requester first, then the push to every interested resource. */
function afterReply(push: () => void): void {
  queueMicrotask(push);
}
