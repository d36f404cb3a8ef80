import { xml } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';

import { isLoopback } from '../../../../src-main/xmpp/client.ts';
import { parseMessage, parsePresence } from '../../../../src-main/xmpp/stanzas.ts';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

describe('parseMessage', () => {
  it('reads chat and normal messages with a body', () => {
    const chat = xml('message', { from: 'a@d/r', type: 'chat' }, xml('body', {}, '{"x":1}'));
    expect(parseMessage(chat, 'd')).toEqual({
      kind: 'body',
      event: { from: 'a@d/r', body: '{"x":1}' },
    });
    const normal = xml('message', { from: 'a@d/r' }, xml('body', {}, 'hi'));
    expect(parseMessage(normal, 'd')?.kind).toBe('body');
  });

  it('ignores bodiless, groupchat and headline messages, and other stanzas', () => {
    expect(parseMessage(xml('message', { from: 'a@d', type: 'chat' }), 'd')).toBeUndefined();
    for (const type of ['groupchat', 'headline']) {
      const message = xml('message', { from: 'a@d', type }, xml('body', {}, 'x'));
      expect(parseMessage(message, 'd')).toBeUndefined();
    }
    expect(parseMessage(xml('presence', { from: 'a@d' }), 'd')).toBeUndefined();
  });

  it('reads the defined condition of an error (RFC 6120 §8.3.2)', () => {
    const error = xml(
      'message',
      { from: 'b@d', type: 'error' },
      xml('body', {}, 'x'),
      xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS_STANZAS })),
    );
    expect(parseMessage(error, 'd')).toEqual({
      kind: 'error',
      event: { from: 'b@d', condition: 'service-unavailable' },
    });
  });
});

describe('parsePresence', () => {
  it('reads availability and show', () => {
    expect(parsePresence(xml('presence', { from: 'w@d/1' }), 'd')).toEqual({
      kind: 'status',
      event: { from: 'w@d/1', available: true },
    });
    const busy = xml('presence', { from: 'w@d/1' }, xml('show', {}, 'dnd'));
    expect(parsePresence(busy, 'd')).toEqual({
      kind: 'status',
      event: { from: 'w@d/1', available: true, show: 'dnd' },
    });
    const gone = xml('presence', { from: 'w@d/1', type: 'unavailable' });
    expect(parsePresence(gone, 'd')).toEqual({
      kind: 'status',
      event: { from: 'w@d/1', available: false },
    });
  });

  it('drops unknown show values and passes subscription requests on', () => {
    const odd = xml('presence', { from: 'w@d/1' }, xml('show', {}, 'sleeping'));
    expect(parsePresence(odd, 'd')).toEqual({
      kind: 'status',
      event: { from: 'w@d/1', available: true },
    });
    expect(parsePresence(xml('presence', { from: 'w@d', type: 'subscribe' }), 'd')).toEqual({
      kind: 'subscribe',
      from: 'w@d',
    });
    for (const type of ['subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error']) {
      expect(parsePresence(xml('presence', { from: 'w@d', type }), 'd')).toBeUndefined();
    }
  });

  it('reads what a manager says of itself: active with its epoch, or standby; nothing else', () => {
    const ns = 'urn:kestrel:manager:1';
    const said = (attrs: Record<string, string>, xmlns = ns) =>
      parsePresence(
        xml(
          'presence',
          { from: 'm@d/a' },
          xml('priority', {}, '0'),
          xml('manager', { xmlns, ...attrs }),
        ),
        'd',
      );
    expect(said({ role: 'active', epoch: '7' })).toEqual({
      kind: 'status',
      event: { from: 'm@d/a', available: true, manager: { role: 'active', epoch: 7 } },
    });
    expect(said({ role: 'standby' })).toMatchObject({ event: { manager: { role: 'standby' } } });
    // Not an epoch, not our namespace, not a role: read as an ordinary presence.
    for (const odd of [
      said({ role: 'active' }),
      said({ role: 'active', epoch: '0' }),
      said({ role: 'active', epoch: '-3' }),
      said({ role: 'active', epoch: '1e3' }),
      said({ role: 'boss', epoch: '9' }),
      said({ role: 'active', epoch: '9' }, 'urn:other'),
    ])
      expect(odd).toEqual({ kind: 'status', event: { from: 'm@d/a', available: true } });
    const gone = xml(
      'presence',
      { from: 'm@d/a', type: 'unavailable' },
      xml('manager', { xmlns: ns, role: 'standby' }),
    );
    expect(parsePresence(gone, 'd')).toEqual({
      kind: 'status',
      event: { from: 'm@d/a', available: false },
    });
  });
});

describe('isLoopback', () => {
  it('allows PLAIN only towards this machine', () => {
    expect(isLoopback('xmpp://127.0.0.1:5222')).toBe(true);
    expect(isLoopback('xmpp://127.8.9.10')).toBe(true);
    expect(isLoopback('xmpp://[::1]:5222')).toBe(true);
    expect(isLoopback('xmpp://localhost:5222')).toBe(true);
    expect(isLoopback('xmpp://10.0.0.1:5222')).toBe(false);
    expect(isLoopback('xmpps://pool.example:5223')).toBe(false);
  });
});
