// The part of the roster (RFC 6121 §2) the connection needs: whether we already have, or have
// asked for, a subscription to a contact's presence. Fetched at every login, before the initial
// presence (§2.2, which also makes us an "interested resource" that receives roster pushes),
// and kept current by roster pushes (§2.1.6).
import { xml, type Element } from '@xmpp/xml';
import type { IqCaller } from '@xmpp/iq/caller.js';
import type { IqCallee } from '@xmpp/iq/callee.js';

const NS_ROSTER = 'jabber:iq:roster';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface Roster {
  /** Replaces what we know with the server's roster. */
  load(timeoutMs: number): Promise<void>;
  /** True if our subscription to `bareJid` exists (`to`/`both`) or is pending (`ask`). */
  isSubscribedTo(bareJid: string): boolean;
}

interface RosterDeps {
  iqCaller: IqCaller;
  iqCallee: IqCallee;
  /** Our bare JID once bound: roster pushes from anyone else are spoofed. */
  ownBareJid: () => string | undefined;
}

export function createRoster({ iqCaller, iqCallee, ownBareJid }: RosterDeps): Roster {
  const subscribedTo = new Set<string>();

  function apply(item: Element): void {
    const contact = item.attrs.jid;
    if (contact === undefined) return;
    const { subscription, ask } = item.attrs;
    if (subscription === 'to' || subscription === 'both' || ask === 'subscribe') {
      subscribedTo.add(contact);
    } else {
      subscribedTo.delete(contact);
    }
  }

  // §2.1.6: a push carries one item; we acknowledge it. A push must come from our own account
  // (no 'from', or our bare JID); anything else is ignored with an error (§2.1.6, last para).
  iqCallee.set(NS_ROSTER, 'query', ({ stanza, element }) => {
    const from = stanza.attrs.from;
    if (from !== undefined && from !== ownBareJid()) {
      return xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS_STANZAS }));
    }
    for (const item of element?.getChildren('item') ?? []) apply(item);
    return {};
  });

  return {
    async load(timeoutMs) {
      const query = await iqCaller.get(xml('query', { xmlns: NS_ROSTER }), undefined, timeoutMs);
      subscribedTo.clear();
      for (const item of query?.getChildren('item') ?? []) apply(item);
    },
    isSubscribedTo(bareJid) {
      return subscribedTo.has(bareJid);
    },
  };
}
