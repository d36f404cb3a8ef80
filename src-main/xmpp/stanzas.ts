// Reading the incoming stanzas the connection cares about into plain objects, so no XML element
// leaves src-main/xmpp. Pure functions: the connection decides what to do with them.
import type { Element } from '@xmpp/xml';

import {
  NS_KESTREL_MANAGER,
  type ManagerPresence,
  type PresenceEvent,
  type PresenceShow,
} from './connection.ts';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const SHOWS: ReadonlySet<string> = new Set(['away', 'chat', 'dnd', 'xa']);

export type IncomingMessage =
  | { kind: 'body'; event: { from: string; body: string } }
  | { kind: 'error'; event: { from: string; condition: string; id?: string } };

export type IncomingPresence =
  { kind: 'status'; event: PresenceEvent } | { kind: 'subscribe'; from: string };

/** `domain` stands in for a missing 'from': the stanza then comes from our server (RFC 6120 §8.1.2.1). */
export function parseMessage(stanza: Element, domain: string): IncomingMessage | undefined {
  if (stanza.name !== 'message') return undefined;
  const from = stanza.attrs.from ?? domain;
  // RFC 6121 §5.2.2: no type means 'normal'. groupchat and headline are not for us.
  const type = stanza.attrs.type ?? 'normal';
  if (type === 'error') {
    // RFC 6120 §8.3.1: the error carries the id of the message it answers.
    const { id } = stanza.attrs;
    const event = { from, condition: errorCondition(stanza), ...(id === undefined ? {} : { id }) };
    return { kind: 'error', event };
  }
  if (type !== 'chat' && type !== 'normal') return undefined;
  const body = stanza.getChildText('body');
  return body === null ? undefined : { kind: 'body', event: { from, body } };
}

export function parsePresence(stanza: Element, domain: string): IncomingPresence | undefined {
  if (stanza.name !== 'presence') return undefined;
  const from = stanza.attrs.from ?? domain;
  const { type } = stanza.attrs;
  if (type === 'subscribe') return { kind: 'subscribe', from };
  // RFC 6121 §4.7.1: no type means available; other types are subscription bookkeeping,
  // probes (answered by the server) or errors about presence we sent.
  if (type !== undefined && type !== 'unavailable') return undefined;
  const show = stanza.getChildText('show') ?? '';
  const event: PresenceEvent = { from, available: type === undefined };
  if (type === undefined && SHOWS.has(show)) event.show = show as PresenceShow;
  const manager = type === undefined ? managerOf(stanza) : undefined;
  if (manager) event.manager = manager;
  return { kind: 'status', event };
}

/** `<manager xmlns='urn:kestrel:manager:1' role='active' epoch='7'/>`; anything else is ignored. */
function managerOf(stanza: Element): ManagerPresence | undefined {
  const element = stanza.getChild('manager', NS_KESTREL_MANAGER);
  if (element === undefined) return undefined;
  const { role, epoch } = element.attrs;
  if (role === 'standby') return { role };
  const value = Number(epoch);
  if (role === 'active' && /^\d{1,15}$/.test(epoch ?? '') && value >= 1)
    return { role, epoch: value };
  return undefined;
}

/** RFC 6120 §8.3.2: the defined condition is the child of <error> in the stanzas namespace. */
function errorCondition(stanza: Element): string {
  const error = stanza.getChild('error');
  const condition = error?.getChildElements().find((child) => child.getNS() === NS_STANZAS);
  return condition?.name ?? 'undefined-condition';
}
