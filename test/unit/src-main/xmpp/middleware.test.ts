// Our stanza middleware in place of @xmpp/middleware: handlers see the same context for every
// stanza (JIDs parsed and XEP-0106-escaped alike, only when read), replies are sent and failures
// emitted as before. Both run side by side on one entity (a plain EventEmitter standing in for
// the xmpp.js Client: the unit is the chain, not the connection).
import { EventEmitter } from 'node:events';
import type { Client } from '@xmpp/client-core';
import { jid } from '@xmpp/client-core';
import xmppMiddleware, { type IncomingContext } from '@xmpp/middleware';
import { xml, type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { createMiddleware } from '../../../../src-main/xmpp/middleware.ts';

function fakeEntity() {
  const sent: Element[] = [];
  const errors: unknown[] = [];
  const entity = Object.assign(new EventEmitter(), {
    jid: jid('worker', 'pool.example', 'w1'),
    options: { domain: 'pool.example', service: 'xmpp://127.0.0.1:5222' },
    send: async (element: Element) => void sent.push(element),
  });
  entity.on('error', (error) => errors.push(error));
  return { entity: entity as unknown as Client, emitter: entity, sent, errors };
}

const view = (ctx: IncomingContext & Record<string, unknown>) => ({
  name: ctx.name,
  type: ctx.type,
  id: ctx.id,
  from: ctx.from?.toString() ?? null,
  to: (ctx.to as { toString(): string } | null)?.toString() ?? null,
  local: ctx.local,
  domain: ctx.domain,
  resource: ctx.resource,
});

describe('stanza middleware', () => {
  it.each([
    xml('message', { from: 'Alice@Pool.Example/im', to: 'worker@pool.example/w1', id: 'm1' }),
    xml('presence', { from: 'manager@pool.example/head' }),
    xml('iq', { type: 'get', id: 'p1' }), // from our server: no from, no to
    xml('message', { from: 'a b@pool.example', type: 'chat' }), // XEP-0106: escaped as a\20b
    xml('presence', { from: 'pool.example', type: 'unavailable' }),
  ])('gives handlers the context @xmpp/middleware gives: %s', (stanza) => {
    const { entity, emitter } = fakeEntity();
    const theirs: unknown[] = [];
    const ours: unknown[] = [];
    xmppMiddleware({ entity }).use((ctx) => void theirs.push(view(ctx as never)));
    createMiddleware({ entity }).use((ctx) => void ours.push(view(ctx as never)));
    emitter.emit('element', stanza);
    expect(ours).toEqual(theirs);
    expect(ours).toHaveLength(1);
  });

  it('runs handlers in order, each passing on with next(), sends a reply and emits a failure', async () => {
    const { entity, emitter, sent, errors } = fakeEntity();
    const middleware = createMiddleware({ entity });
    const order: string[] = [];
    middleware.use((ctx, next) => {
      order.push('first');
      return next();
    });
    middleware.use((ctx) => {
      order.push('second');
      if (ctx.name === 'iq') return xml('iq', { type: 'result', id: ctx.id });
      throw new Error('handler failed');
    });
    emitter.emit('element', xml('iq', { type: 'get', id: 'q1' }));
    emitter.emit('element', xml('message', {}));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['first', 'second', 'first', 'second']);
    expect(sent.map((s) => s.attrs.id)).toEqual(['q1']);
    expect(errors).toEqual([new Error('handler failed')]);
  });
});
