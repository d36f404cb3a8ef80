// Routing of stanzas from bound clients (RFC 6120 §8.1, §10; RFC 6121 §8.5). The server stamps
// 'from' with the sender's full JID whatever the client wrote (RFC 6120 §8.1.2.1), then:
// messages to a bare JID go to the highest-priority available resources, to an absent full JID
// as if to the bare JID; IQs to a full JID go to that session only; the server answers IQs to
// itself and to bare JIDs. There is no offline storage: a chat message nobody can take comes
// back as service-unavailable. There is no server-to-server either: other domains get
// not-allowed, as Prosody answers with s2s disabled.
import type { Element } from '@xmpp/xml';

import { errorReply } from './errors.ts';
import type { IqHandlers, IqTarget } from './iq-handlers.ts';
import { makeJid, parseJid, type Jid } from './jid.ts';
import type { PresenceService } from './presence.ts';
import type { BoundSession, SessionRegistry } from './registry.ts';

export interface RouterDeps {
  domain: string;
  registry: SessionRegistry;
  presence: PresenceService;
  iq: IqHandlers;
  accountExists: (local: string) => boolean;
}

export interface Router {
  /** A stanza (message, presence or iq in jabber:client) from a bound session. */
  route(origin: BoundSession, stanza: Element): void;
}

const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);

export function createRouter(deps: RouterDeps): Router {
  const { domain, registry, presence, iq } = deps;

  function reply(origin: BoundSession, stanza: Element, error: Element): void {
    // Never answer an error with an error (RFC 6120 §8.3.1).
    if (stanza.attrs.type !== 'error') origin.send(error);
  }

  function routeMessage(origin: BoundSession, stanza: Element, to: Jid): void {
    if (to.local === '') return; // messages to the server itself: nothing to do with them
    if (to.resource !== '') {
      const session = registry.get(to.full);
      if (session) {
        session.send(stanza);
        return;
      }
      if (stanza.attrs.type === 'headline') return; // §8.5.3.2.1: silently ignored
    }
    messageToBare(origin, stanza, to);
  }

  /** RFC 6121 §8.5.2 (and §8.5.3.2.1 for an unavailable full JID), as Prosody's mod_message. */
  function messageToBare(origin: BoundSession, stanza: Element, to: Jid): void {
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'error') return;
    if (type === 'groupchat') {
      reply(origin, stanza, errorReply(stanza, 'service-unavailable'));
      return;
    }
    let best = 0;
    let top: BoundSession[] = [];
    for (const session of registry.resources(to.bare)) {
      if (session.presence === undefined || session.priority < 0) continue;
      if (type === 'headline') {
        session.send(stanza);
        continue;
      }
      if (top.length === 0 || session.priority > best) {
        best = session.priority;
        top = [session];
      } else if (session.priority === best) {
        top.push(session);
      }
    }
    if (type === 'headline') return;
    for (const session of top) session.send(stanza);
    if (top.length === 0) reply(origin, stanza, errorReply(stanza, 'service-unavailable'));
  }

  function routeIq(origin: BoundSession, stanza: Element, to: Jid | undefined): void {
    const type = stanza.attrs.type ?? '';
    const request = type === 'get' || type === 'set';
    const payload = stanza.getChildElements();
    if (!IQ_TYPES.has(type) || stanza.attrs.id === undefined || (request && payload.length !== 1)) {
      // RFC 6120 §8.2.3: an id, a known type, and exactly one child in a get or set.
      reply(origin, stanza, errorReply(stanza, 'bad-request'));
      return;
    }
    if (to !== undefined && to.resource !== '') {
      const session = registry.get(to.full);
      if (session) session.send(stanza);
      else if (request) reply(origin, stanza, errorReply(stanza, 'service-unavailable'));
      return;
    }
    if (!request) return; // results and errors for the server (our pings) end here
    let target: IqTarget;
    if (to === undefined || to.bare === origin.jid.bare) target = 'self';
    else if (to.local === '') target = 'server';
    else if (deps.accountExists(to.local)) target = 'account';
    else {
      reply(origin, stanza, errorReply(stanza, 'service-unavailable'));
      return;
    }
    iq.handle({ origin, stanza, payload: payload[0] as Element, target, to });
  }

  return {
    route(origin, stanza) {
      const rawTo = stanza.attrs.to;
      let to: Jid | undefined;
      if (rawTo !== undefined) {
        to = parseJid(rawTo);
        if (to === undefined) {
          stanza.attrs.from = origin.jid.full;
          reply(origin, stanza, errorReply(stanza, 'jid-malformed', { from: domain }));
          return;
        }
        stanza.attrs.to = to.full;
      }
      stanza.attrs.from = origin.jid.full;
      const notIqResult = stanza.name !== 'iq' || stanza.attrs.type !== 'result';
      if (to !== undefined && to.domain !== domain) {
        if (notIqResult) {
          const text = 'Communication with remote domains is not enabled';
          reply(origin, stanza, errorReply(stanza, 'not-allowed', { text }));
        }
        return;
      }
      switch (stanza.name) {
        case 'message':
          routeMessage(origin, stanza, to ?? makeJid(origin.jid.local, origin.jid.domain));
          break;
        case 'presence':
          if (!presence.outbound(origin, stanza, to)) {
            reply(origin, stanza, errorReply(stanza, 'bad-request', { from: domain }));
          }
          break;
        case 'iq':
          routeIq(origin, stanza, to);
          break;
      }
    },
  };
}
