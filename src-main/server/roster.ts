// A user's roster and the subscription state machine of RFC 6121 §3 (Appendix A's tables),
// as pure functions over plain data. Each returns whether the roster changed, so the caller
// knows when to persist and push (RFC 6121 §2.1.6). Pre-approval (§3.4) is not supported.

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  subscription: Subscription;
  /** Pending out: we asked for the contact's presence and have no answer yet. */
  ask: boolean;
  name: string | undefined;
  groups: string[];
}

export interface Roster {
  items: Map<string, RosterItem>;
  /** Pending in (§3.1.3): contact bare JID → the subscribe stanza to deliver again. */
  pending: Map<string, string>;
}

export function emptyRoster(): Roster {
  return { items: new Map(), pending: new Map() };
}

/** The contact receives the owner's presence (subscription from/both). */
export function contactSubscribed(roster: Roster, contact: string): boolean {
  const s = roster.items.get(contact)?.subscription;
  return s === 'from' || s === 'both';
}

/** The owner receives the contact's presence (subscription to/both). */
export function ownerSubscribed(roster: Roster, contact: string): boolean {
  const s = roster.items.get(contact)?.subscription;
  return s === 'to' || s === 'both';
}

function itemFor(roster: Roster, contact: string): RosterItem {
  let item = roster.items.get(contact);
  if (item === undefined) {
    item = { subscription: 'none', ask: false, name: undefined, groups: [] };
    roster.items.set(contact, item);
  }
  return item;
}

// --- The owner sends (RFC 6121 §3.1.2, §3.2.2, §3.3.2, §3.1.5) ---

/** Outbound subscribe: ask = subscribe unless already subscribed or asked. */
export function outboundSubscribe(roster: Roster, contact: string): boolean {
  const item = roster.items.get(contact);
  if (item && (item.ask || item.subscription === 'to' || item.subscription === 'both')) {
    return false;
  }
  itemFor(roster, contact).ask = true;
  return true;
}

/** Outbound unsubscribe: to → none, both → from, and no longer asking. */
export function outboundUnsubscribe(roster: Roster, contact: string): boolean {
  const item = roster.items.get(contact);
  if (!item || ((item.subscription === 'none' || item.subscription === 'from') && !item.ask)) {
    return false;
  }
  item.ask = false;
  item.subscription =
    item.subscription === 'both' ? 'from' : item.subscription === 'to' ? 'none' : item.subscription;
  return true;
}

/** Outbound subscribed approves a pending-in request: none → from, to → both (§3.1.5). */
export function outboundSubscribed(roster: Roster, contact: string): boolean {
  if (!roster.pending.delete(contact)) return false;
  const item = itemFor(roster, contact);
  if (item.subscription === 'none') item.subscription = 'from';
  else if (item.subscription === 'to') item.subscription = 'both';
  return true;
}

/** Outbound unsubscribed denies a request or cancels the contact's subscription (§3.2.2). */
export function outboundUnsubscribed(
  roster: Roster,
  contact: string,
): { changed: boolean; wasSubscribed: boolean } {
  const wasPending = roster.pending.delete(contact);
  const item = roster.items.get(contact);
  let wasSubscribed = false;
  if (item?.subscription === 'from') {
    item.subscription = 'none';
    wasSubscribed = true;
  } else if (item?.subscription === 'both') {
    item.subscription = 'to';
    wasSubscribed = true;
  }
  return { changed: wasPending || wasSubscribed, wasSubscribed };
}

// --- The owner receives (RFC 6121 §3.1.3, §3.1.6, §3.2.3, §3.3.3) ---

/** Inbound subscribe is remembered as pending in, unless the contact is subscribed already. */
export function inboundSubscribe(roster: Roster, contact: string, stanza: string): boolean {
  if (contactSubscribed(roster, contact) || roster.pending.has(contact)) return false;
  roster.pending.set(contact, stanza);
  return true;
}

/** Inbound subscribed counts only if we asked: none → to, from → both. */
export function inboundSubscribed(roster: Roster, contact: string): boolean {
  const item = roster.items.get(contact);
  if (!item?.ask) return false;
  item.ask = false;
  item.subscription = item.subscription === 'from' || item.subscription === 'both' ? 'both' : 'to';
  return true;
}

/** Inbound unsubscribed: our request was denied or our subscription cancelled. */
export function inboundUnsubscribed(roster: Roster, contact: string): boolean {
  const item = roster.items.get(contact);
  if (!item) return false;
  let changed = item.ask;
  item.ask = false;
  if (item.subscription === 'to') {
    item.subscription = 'none';
    changed = true;
  } else if (item.subscription === 'both') {
    item.subscription = 'from';
    changed = true;
  }
  return changed;
}

/** Inbound unsubscribe: the contact no longer wants our presence. */
export function inboundUnsubscribe(roster: Roster, contact: string): boolean {
  let changed = roster.pending.delete(contact);
  const item = roster.items.get(contact);
  if (item?.subscription === 'from') {
    item.subscription = 'none';
    changed = true;
  } else if (item?.subscription === 'both') {
    item.subscription = 'to';
    changed = true;
  }
  return changed;
}

// --- Roster management by the owner (RFC 6121 §2.3–2.5) ---

/** Adds or updates an item's name and groups; its subscription state is the server's. */
export function setItem(
  roster: Roster,
  contact: string,
  details: { name: string | undefined; groups: string[] },
): void {
  const item = itemFor(roster, contact);
  item.name = details.name;
  item.groups = details.groups;
}

/**
 * Whether a new item for `contact` would pass the roster's limit. Only items without a
 * subscription count (roster sets, unanswered requests): a mutual subscription needs the
 * contact's consent, so those are bounded by the number of accounts, and a manager's roster
 * with one item per worker may grow with the pool. Scans only a roster already that large.
 */
export function rosterFull(roster: Roster, contact: string, maxItems: number): boolean {
  if (roster.items.has(contact) || roster.items.size < maxItems) return false;
  let unilateral = 0;
  for (const item of roster.items.values()) {
    if (item.subscription === 'none' && ++unilateral >= maxItems) return true;
  }
  return false;
}
