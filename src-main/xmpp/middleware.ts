// The stanza middleware of our clients, in place of @xmpp/middleware's: the same koa-style
// `use()` chain that stream features, SASL, resource binding and the iq caller and callee plug
// into, with the same context, at a fraction of the cost per stanza. @xmpp/middleware parsed the
// `from` and `to` of every stanza in and out into JIDs, each checked for XEP-0106 escapes (ten
// string replacements and a regex: 10–15 % of a busy manager's CPU, docs/BENCHMARKS.md), and
// composed the chain afresh for each; nothing we run reads those JIDs. Here they are parsed only
// when read, the chain is composed once, and stanzas sent go through no chain (none is used).
import { jid, type Client } from '@xmpp/client-core';
import type { JID } from '@xmpp/jid';
import type { Handler, IncomingContext, Middleware } from '@xmpp/middleware';
import type { Element } from '@xmpp/xml';

class Context implements IncomingContext {
  readonly stanza: Element;
  readonly entity: Client;
  readonly name: string;
  readonly type: string;
  readonly id: string;
  element?: Element;
  #from: JID | null | undefined;
  #to: JID | null | undefined;

  constructor(entity: Client, stanza: Element) {
    this.stanza = stanza;
    this.entity = entity;
    const { name, attrs } = stanza;
    this.name = name;
    this.id = attrs.id ?? '';
    // RFC 6121 §5.2.2 (message type defaults to normal), §4.7.1 (presence without type: available).
    const fallback = name === 'message' ? 'normal' : name === 'presence' ? 'available' : '';
    this.type = attrs.type ?? fallback;
  }

  /** The sender; a stanza without `from` comes from our server (RFC 6120 §8.1.2.1). */
  get from(): JID | null {
    if (this.#from === undefined) {
      const from = this.stanza.attrs.from ?? this.entity.options.domain;
      this.#from = from ? jid(from) : null;
    }
    return this.#from;
  }

  /** The addressee; a stanza without `to` is for us. */
  get to(): JID | null {
    if (this.#to === undefined) {
      const to = this.stanza.attrs.to ?? this.entity.jid?.toString();
      this.#to = to ? jid(to) : null;
    }
    return this.#to;
  }

  get local(): string {
    return this.from?.local ?? '';
  }

  get domain(): string {
    return this.from?.domain ?? '';
  }

  get resource(): string {
    return this.from?.resource ?? '';
  }
}

type Next = () => Promise<unknown>;

export function createMiddleware({ entity }: { entity: Client }): Middleware {
  const handlers: Handler[] = [];

  /** koa-compose's semantics: each handler may call next() once; a throw becomes a rejection. */
  function run(ctx: Context): Promise<unknown> {
    let last = -1;
    const dispatch = (i: number): Promise<unknown> => {
      if (i <= last) return Promise.reject(new Error('next() called multiple times'));
      last = i;
      const handler = handlers[i];
      if (handler === undefined) return Promise.resolve();
      const next: Next = () => dispatch(i + 1);
      try {
        return Promise.resolve(handler(ctx, next));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    return dispatch(0);
  }

  entity.on('element', (stanza: Element) => {
    // As @xmpp/middleware's error handler: a handler's reply is sent, its failure emitted.
    run(new Context(entity, stanza))
      .then((reply) => (reply ? entity.send(reply as Element) : undefined))
      .catch((error: unknown) => entity.emit('error', error));
  });

  return {
    use(handler) {
      handlers.push(handler);
      return handler;
    },
  };
}
