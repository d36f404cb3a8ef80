// The routing table: every bound session (RFC 6120 §7) by full JID and by account, in memory.
import type { Element } from '@xmpp/xml';

import type { StreamErrorCondition } from './errors.ts';
import type { Jid } from './jid.ts';

/** What routing, presence and IQ handling need from a bound client session. */
export interface BoundSession {
  readonly id: number;
  readonly jid: Jid;
  /**
   * The last available presence it broadcast, to answer probes with (RFC 6121 §4.3); set from
   * its initial presence until it goes unavailable, so "available" means this is defined.
   */
  presence: Element | undefined;
  /** RFC 6121 §4.7.2.3; meaningful while available. */
  priority: number;
  /** Asked for the roster, so it gets roster pushes (RFC 6121 §2.2). */
  interested: boolean;
  /** Full or bare JIDs it sent directed presence to (RFC 6121 §4.6): they hear it leave. */
  readonly directed: Set<string>;
  send(element: Element): void;
  /** Sends XML already serialised (a stored subscription request). */
  sendText(xml: string): void;
  close(condition?: StreamErrorCondition, text?: string): void;
}

export interface SessionRegistry {
  /** Adds a session; returns the one bound to the same full JID before, if any. */
  add(session: BoundSession): BoundSession | undefined;
  /** Removes a session, unless another one has taken its full JID meanwhile. */
  remove(session: BoundSession): void;
  get(fullJid: string): BoundSession | undefined;
  /** The sessions of one account (bare JID), in binding order. */
  resources(bareJid: string): Iterable<BoundSession>;
  readonly size: number;
  all(): Iterable<BoundSession>;
}

const NONE: readonly BoundSession[] = [];

export function createSessionRegistry(): SessionRegistry {
  const byFull = new Map<string, BoundSession>();
  const byBare = new Map<string, Map<string, BoundSession>>();

  return {
    add(session) {
      const { full, bare } = session.jid;
      const previous = byFull.get(full);
      byFull.set(full, session);
      let resources = byBare.get(bare);
      if (!resources) {
        resources = new Map();
        byBare.set(bare, resources);
      }
      resources.set(full, session);
      return previous;
    },
    remove(session) {
      const { full, bare } = session.jid;
      if (byFull.get(full) !== session) return;
      byFull.delete(full);
      const resources = byBare.get(bare);
      resources?.delete(full);
      if (resources?.size === 0) byBare.delete(bare);
    },
    get: (fullJid) => byFull.get(fullJid),
    resources: (bareJid) => byBare.get(bareJid)?.values() ?? NONE,
    get size() {
      return byFull.size;
    },
    all: () => byFull.values(),
  };
}
