// IQs the server answers itself (RFC 6120 §10.3, RFC 6121 §8.5.1): those to the domain, to the
// sender's own account (no 'to', or its bare JID) and to other local accounts' bare JIDs.
// Handlers are registered per target, type and payload; anything else gets
// service-unavailable (RFC 6120 §8.4), as Prosody answers.
import type { Element } from '@xmpp/xml';

import { errorReply, iqResult } from './errors.ts';
import type { Jid } from './jid.ts';
import { NS_PING } from './namespaces.ts';
import type { BoundSession } from './registry.ts';

/** server: the domain itself; self: the sender's account; account: another local account. */
export type IqTarget = 'server' | 'self' | 'account';

export interface IqRequest {
  origin: BoundSession;
  stanza: Element;
  /** The single child element of the get/set (RFC 6120 §8.2.3). */
  payload: Element;
  target: IqTarget;
  /** The addressed JID (undefined for 'self' without 'to'). */
  to: Jid | undefined;
}

/** A reply, or undefined for service-unavailable. */
export type IqHandler = (request: IqRequest) => Element | undefined | Promise<Element | undefined>;

export interface IqHandlers {
  on(targets: IqTarget[], type: 'get' | 'set', ns: string, name: string, handler: IqHandler): void;
  /** Answers a get or set on the server's side; results and errors to the server are dropped. */
  handle(request: IqRequest): void;
}

export function createIqHandlers(onError: (error: unknown) => void): IqHandlers {
  const table = new Map<string, IqHandler>();
  const key = (target: string, type: string, ns: string | undefined, name: string) =>
    `${target} ${type} ${ns ?? ''} ${name}`;

  const handlers: IqHandlers = {
    on(targets, type, ns, name, handler) {
      for (const target of targets) table.set(key(target, type, ns, name), handler);
    },
    handle(request) {
      const { stanza, payload, target, origin } = request;
      const type = stanza.attrs.type ?? '';
      const handler = table.get(key(target, type, payload.getNS(), payload.name));
      const fallback = () => errorReply(stanza, 'service-unavailable');
      let reply: ReturnType<IqHandler>;
      try {
        reply = handler ? handler(request) : undefined;
      } catch (error) {
        onError(error);
        origin.send(errorReply(stanza, 'internal-server-error'));
        return;
      }
      if (reply instanceof Promise) {
        reply.then(
          (element) => origin.send(element ?? fallback()),
          (error: unknown) => {
            onError(error);
            origin.send(errorReply(stanza, 'internal-server-error'));
          },
        );
      } else {
        origin.send(reply ?? fallback());
      }
    },
  };
  // XEP-0199 §4.2–4.3: the server answers pings to itself and to its accounts' bare JIDs.
  handlers.on(['server', 'self', 'account'], 'get', NS_PING, 'ping', ({ stanza }) =>
    iqResult(stanza),
  );
  return handlers;
}
