// Presence (RFC 6121 §4): initial presence with probes, broadcasts to subscribers and to the
// account's other resources, directed presence, and the unavailable presence the server sends
// for a client that disconnects without one (§4.5.2) — also when its socket just dies.
import { xml, type Element } from '@xmpp/xml';

import { parseJid, type Jid } from './jid.ts';
import type { BoundSession, SessionRegistry } from './registry.ts';
import type { RosterStore } from './roster-store.ts';
import { contactSubscribed, ownerSubscribed } from './roster.ts';
import { createSubscriptions, type RosterLimits, type Subscriptions } from './subscriptions.ts';

export interface PresenceDeps {
  domain: string;
  registry: SessionRegistry;
  rosters: RosterStore;
  accountExists: (local: string) => boolean;
  limits: RosterLimits;
}

export interface PresenceService {
  readonly subscriptions: Subscriptions;
  /**
   * A presence stanza from a bound client, 'from' stamped. `to` is its parsed, local-domain
   * recipient or undefined for a broadcast. Returns false for a type this cannot handle.
   */
  outbound(origin: BoundSession, stanza: Element, to: Jid | undefined): boolean;
  /** The session is gone (stream closed, socket lost, replaced); it is out of the registry. */
  disconnected(session: BoundSession, reason: string | undefined): void;
}

const SUBSCRIPTION_TYPES = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);
/** Directed presences one session remembers (§4.6); beyond, they are sent but not followed up. */
const MAX_DIRECTED = 1_000;

export function createPresence(deps: PresenceDeps): PresenceService {
  const { domain, registry, rosters } = deps;
  const subscriptions = createSubscriptions({ ...deps, post });

  /** Delivers presence generated or forwarded by the server to its local recipient. */
  function post(stanza: Element): void {
    const to = parseJid(stanza.attrs.to ?? '');
    const from = parseJid(stanza.attrs.from ?? '');
    if (to === undefined || from === undefined || to.domain !== domain || to.local === '') return;
    const { type } = stanza.attrs;
    if (type !== undefined && type !== 'unavailable' && type !== 'error') {
      subscriptions.inbound(stanza, from, to);
    } else if (to.resource !== '') {
      registry.get(to.full)?.send(stanza);
    } else {
      // §4.2.3, §4.4.3: to every available resource; nobody there means nobody hears it.
      for (const session of registry.resources(to.bare)) {
        if (session.presence !== undefined) session.send(stanza);
      }
    }
  }

  function outbound(origin: BoundSession, stanza: Element, to: Jid | undefined): boolean {
    const { type } = stanza.attrs;
    if (to === undefined) {
      if (type !== undefined && type !== 'unavailable') return false;
      broadcast(origin, stanza);
      return true;
    }
    if (type === 'probe') {
      if (to.bare !== origin.jid.bare) post(stanza); // §4.3.1: from the full JID, to the bare
      return true;
    }
    if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) {
      subscriptions.outbound(origin, stanza, to);
      return true;
    }
    if (type !== undefined && type !== 'unavailable' && type !== 'error') return false;
    // RFC 6121 §8.5.1: presence to an account that does not exist is ignored, and leaves no
    // state behind.
    if (to.local !== '' && !deps.accountExists(to.local)) return true;
    // §4.6: directed presence to someone who does not get our broadcasts is remembered, so
    // they hear our unavailable presence too; an unavailable or error one forgets them.
    const roster = rosters.load(origin.jid.local);
    if (to.bare !== origin.jid.bare && !contactSubscribed(roster, to.bare)) {
      if (type !== undefined) origin.directed.delete(to.full);
      else if (origin.directed.size < MAX_DIRECTED) origin.directed.add(to.full);
    }
    post(stanza);
    return true;
  }

  /** Presence without 'to' (§4.2, §4.4, §4.5), as Prosody's handle_normal_presence. */
  function broadcast(origin: BoundSession, stanza: Element): void {
    const user = origin.jid;
    const initial = stanza.attrs.type === undefined && origin.presence === undefined;
    // Reflected to the sender (§4.2.2), if it is still connected.
    if (registry.get(user.full) === origin) origin.send(stanza);
    for (const session of registry.resources(user.bare)) {
      if (session !== origin && session.presence !== undefined) {
        stanza.attrs.to = session.jid.full;
        session.send(stanza);
      }
    }
    const roster = rosters.load(user.local);
    for (const contact of roster.items.keys()) {
      if (contactSubscribed(roster, contact)) {
        stanza.attrs.to = contact;
        post(stanza);
      }
    }
    stanza.attrs.to = undefined;
    if (initial) {
      origin.presence = stanza; // from now on probes may be answered with it
      // §4.2.2: probe every contact we are subscribed to; their servers answer for them.
      for (const contact of roster.items.keys()) {
        if (ownerSubscribed(roster, contact)) {
          post(xml('presence', { type: 'probe', from: user.full, to: contact }));
        }
      }
      for (const session of registry.resources(user.bare)) {
        const other = session.presence;
        if (session === origin || other === undefined) continue;
        other.attrs.to = user.full;
        origin.send(other);
        other.attrs.to = undefined;
      }
      // §3.1.3: requests that arrived while we were away; our own unanswered ones again.
      for (const request of roster.pending.values()) origin.sendText(request);
      for (const [contact, item] of roster.items) {
        if (item.ask) post(xml('presence', { type: 'subscribe', from: user.bare, to: contact }));
      }
    }
    if (stanza.attrs.type === 'unavailable') {
      origin.presence = undefined;
      origin.priority = 0;
      for (const jid of origin.directed) {
        stanza.attrs.to = jid;
        post(stanza);
      }
      origin.directed.clear();
      stanza.attrs.to = undefined;
    } else {
      origin.presence = stanza;
      origin.priority = parsePriority(stanza.getChildText('priority'));
    }
  }

  function disconnected(session: BoundSession, reason: string | undefined): void {
    const from = session.jid.full;
    const status = reason === undefined ? undefined : xml('status', {}, `Disconnected: ${reason}`);
    if (session.presence !== undefined) {
      broadcast(session, xml('presence', { type: 'unavailable', from }, status));
      return;
    }
    for (const jid of session.directed) {
      post(xml('presence', { type: 'unavailable', from, to: jid }, status));
    }
    session.directed.clear();
  }

  return { subscriptions, outbound, disconnected };
}

/** RFC 6121 §4.7.2.3: an integer from -128 to 127, 0 when absent or invalid. */
export function parsePriority(text: string | null): number {
  if (text === null || !/^\s*[+-]?\d+\s*$/.test(text)) return 0;
  return Math.max(-128, Math.min(127, Number(text)));
}
