// Roster items on the wire (RFC 6121 §2.1.2) and roster pushes to a user's interested
// resources (§2.1.6), shared by the roster IQ handler and subscription handling.
import { xml, type Element } from '@xmpp/xml';

import { NS_ROSTER } from './namespaces.ts';
import type { SessionRegistry } from './registry.ts';
import type { RosterItem } from './roster.ts';

let pushes = 0;

export function rosterItemElement(contact: string, item: RosterItem | undefined): Element {
  if (item === undefined) return xml('item', { jid: contact, subscription: 'remove' });
  const element = xml('item', {
    jid: contact,
    subscription: item.subscription,
    ask: item.ask ? 'subscribe' : undefined,
    name: item.name,
  });
  for (const group of item.groups) element.append(xml('group', {}, group));
  return element;
}

/** Pushes the current state of one item to every resource of `bareJid` that asked for the roster. */
export function pushRosterItem(
  registry: SessionRegistry,
  bareJid: string,
  contact: string,
  item: RosterItem | undefined,
): void {
  let push: Element | undefined;
  for (const session of registry.resources(bareJid)) {
    if (!session.interested) continue;
    push ??= xml(
      'iq',
      { type: 'set', id: `push-${++pushes}` },
      xml('query', { xmlns: NS_ROSTER }, rosterItemElement(contact, item)),
    );
    push.attrs.to = session.jid.full;
    session.send(push);
  }
}
