// One client-to-server stream (RFC 6120): stream headers and features, STARTTLS (§5), SASL
// (§6), resource binding (§7) and the legacy session IQ, then stanzas to the router. A session
// ends once, whichever way: the client closes the stream, the socket dies, the server closes
// it with a stream error (§4.9); its unavailable presence goes out then (RFC 6121 §4.5.2).
import { randomBytes } from 'node:crypto';
import type net from 'node:net';

import { xml, type Element } from '@xmpp/xml';

import type { ConnectionSlot } from './connection-limits.ts';
import type { ServerContext } from './context.ts';
import { errorReply, iqResult, streamError, type StreamErrorCondition } from './errors.ts';
import { makeJid, prepResource } from './jid.ts';
import type { KeepAliveTarget } from './keepalive.ts';
import * as ns from './namespaces.ts';
import type { BoundSession } from './registry.ts';
import { handleUnauthenticated, type PreAuthState } from './register.ts';
import { createSaslNegotiation, type SaslNegotiation } from './sasl-negotiation.ts';
import { checkHeader, responseHeader, streamFeatures } from './stream-features.ts';
import { createTransport, type Transport } from './transport.ts';
import { createXmlStream, type StreamHeader, type XmlStream } from './xml-stream.ts';

export interface ClientSession {
  readonly id: number;
  close(condition?: StreamErrorCondition, text?: string): void;
}

let lastId = 0;

/** Serves one accepted connection; `slot` is its place in the connection limits. */
export function acceptSession(
  socket: net.Socket,
  ctx: ServerContext,
  slot: ConnectionSlot,
): ClientSession {
  const id = ++lastId;
  const { domain, counters, options } = ctx;
  let headerSent = false;
  /** No more output: the stream is closed or the socket gone. */
  let closed = false;
  let ended = false;
  let username: string | undefined;
  let bound: BoundSession | undefined;
  let pings = 0;
  const preAuth: PreAuthState = { token: undefined };

  const transport: Transport = createTransport(
    socket,
    {
      data(chunk) {
        keepalive.seen = true;
        try {
          stream.write(chunk);
        } catch (error) {
          ctx.log.error('stream handling failed', { session: id, error: String(error) });
          close('undefined-condition', 'internal error');
        }
      },
      close: (reason) => teardown(reason),
    },
    { maxQueuedBytes: options.maxQueuedBytes },
  );

  const stream: XmlStream = createXmlStream(
    {
      streamStart: onStreamStart,
      element: onElement,
      streamEnd: () => close(),
      error: (condition, text) => close(condition, text),
    },
    { maxStanzaBytes: options.maxStanzaBytes },
  );

  const sasl: SaslNegotiation = createSaslNegotiation(
    {
      get secure() {
        return transport.secure;
      },
      remoteAddress: transport.remoteAddress,
      get open() {
        return !closed;
      },
      send: (element) => write(element.toString()),
      authenticated(name) {
        username = name;
        counters.logins++;
        stream.reset(); // §6.4.6: the client opens a new stream next
      },
      tooManyFailures: () => close('policy-violation', 'too many failed authentication attempts'),
    },
    {
      sasl: ctx.sasl,
      throttle: ctx.throttle,
      plainWithoutTls: options.loopback,
      maxFailures: options.maxAuthFailures,
      onFailure: () => counters.authFailures++,
      onLocked: () => counters.authLocked++,
    },
  );

  const keepalive: KeepAliveTarget = {
    seen: false,
    get bound() {
      return bound !== undefined;
    },
    sendPing() {
      const to = bound?.jid.full;
      write(
        xml(
          'iq',
          { type: 'get', id: `ping-${++pings}`, from: domain, to },
          xml('ping', { xmlns: ns.NS_PING }),
        ).toString(),
      );
    },
    timeout: (text) => close('connection-timeout', text),
  };

  const session: ClientSession = { id, close };
  ctx.sessions.add(session);
  ctx.keepalive.add(keepalive);
  counters.connections++;

  function write(text: string): void {
    if (!closed) transport.write(text);
  }

  function sendHeader(header?: StreamHeader): void {
    write(responseHeader(domain, header));
    headerSent = true;
  }

  function onStreamStart(header: StreamHeader): void {
    sendHeader(header);
    const problem = checkHeader(domain, header);
    if (problem) return close(...problem);
    const features = streamFeatures({
      authenticated: username !== undefined,
      secure: transport.secure,
      tlsOffered: ctx.tlsContext !== undefined,
      requireEncryption: options.requireEncryption,
      mechanisms: sasl.mechanisms(),
    });
    write(features.toString());
  }

  function onElement(element: Element, local: string, uri: string): void {
    if (closed) return;
    if (sasl.busy) {
      close('policy-violation', 'data sent while authentication was pending');
      return;
    }
    if (uri === ns.NS_TLS && local === 'starttls') return startTls();
    if (uri === ns.NS_SASL) {
      if (username !== undefined) return close('policy-violation', 'already authenticated');
      if (options.requireEncryption && !transport.secure) {
        write(xml('failure', { xmlns: ns.NS_SASL }, xml('encryption-required')).toString());
        return;
      }
      return sasl.handle(element);
    }
    const stanza =
      uri === ns.NS_CLIENT && (local === 'message' || local === 'presence' || local === 'iq');
    if (!stanza) return close('unsupported-stanza-type', `<${element.name}/> in ${uri}`);
    counters.stanzasIn++;
    if (bound !== undefined) {
      if (
        local === 'iq' &&
        element.attrs.type === 'set' &&
        element.getChild('session', ns.NS_SESSION)
      ) {
        // RFC 3921 §3: a no-op now (RFC 6121 Appendix E), answered for old clients.
        element.attrs.from = bound.jid.full;
        return bound.send(iqResult(element));
      }
      return ctx.router.route(bound, element);
    }
    if (local !== 'iq') return close('not-authorized', 'stanzas are for bound sessions only');
    if (username === undefined) return preAuthIq(element);
    const bind = element.getChild('bind', ns.NS_BIND);
    if (bind && element.attrs.type === 'set') return bindResource(element, bind);
    close('not-authorized', 'bind a resource first');
  }

  function startTls(): void {
    if (ctx.tlsContext === undefined || transport.secure || username !== undefined) {
      // §5.4.2.2: failure, then the stream is closed.
      write(xml('failure', { xmlns: ns.NS_TLS }).toString());
      close();
      return;
    }
    write(xml('proceed', { xmlns: ns.NS_TLS }).toString());
    stream.reset(); // anything sent after <starttls/> in clear is dropped (§5.4.3.3)
    transport.startTls(ctx.tlsContext);
  }

  function preAuthIq(element: Element): void {
    if (options.requireEncryption && !transport.secure) {
      return close('policy-violation', 'encryption is required');
    }
    const registering =
      element.getChild('query', ns.NS_REGISTER) ?? element.getChild('preauth', ns.NS_PARS);
    if (registering === undefined) return close('not-authorized', 'authenticate first');
    element.attrs.from = undefined;
    handleUnauthenticated(ctx.registration, element, preAuth).then(
      (reply) => write(reply.toString()),
      (error: unknown) => {
        ctx.log.error('registration failed', { error: String(error) });
        write(errorReply(element, 'internal-server-error').toString());
      },
    );
  }

  /** RFC 6120 §7: the client's resource, or one of ours; a clash replaces the old session. */
  function bindResource(iq: Element, bind: Element): void {
    if (username === undefined) return;
    iq.attrs.from = undefined; // no address of its own yet: replies go back on this stream
    iq.attrs.to = undefined;
    const requested = bind.getChildText('resource');
    const resource =
      requested === null || requested === ''
        ? randomBytes(9).toString('base64url')
        : prepResource(requested);
    if (resource === undefined) {
      write(errorReply(iq, 'bad-request', { text: 'invalid resource' }).toString());
      return;
    }
    const jid = makeJid(username, domain, resource);
    // §7.7.2.2: the new session wins; the old one ends with a conflict stream error.
    ctx.registry.get(jid.full)?.close('conflict', 'Replaced by a new connection');
    bound = {
      id,
      jid,
      presence: undefined,
      priority: 0,
      interested: false,
      directed: new Set(),
      send(element) {
        if (closed) return;
        counters.stanzasRouted++;
        transport.write(element.toString());
      },
      sendText: write,
      close,
    };
    ctx.registry.add(bound);
    slot.bound();
    write(iqResult(iq, xml('bind', { xmlns: ns.NS_BIND }, xml('jid', {}, jid.full))).toString());
  }

  function close(condition?: StreamErrorCondition, text?: string): void {
    if (closed) return;
    if (!headerSent) sendHeader(); // §4.9.1.2: an error needs an open stream
    if (condition !== undefined) {
      write(streamError(condition, text).toString());
      const level = condition === 'system-shutdown' || condition === 'conflict' ? 'info' : 'warn';
      ctx.log[level]('stream error', {
        session: id,
        condition,
        text,
        address: transport.remoteAddress,
      });
    }
    write('</stream:stream>');
    transport.end();
    teardown(condition ?? 'stream closed');
  }

  function teardown(reason: string): void {
    if (ended) return;
    ended = true;
    closed = true;
    ctx.sessions.delete(session);
    ctx.keepalive.remove(keepalive);
    slot.release();
    counters.connections--;
    if (bound !== undefined) {
      ctx.registry.remove(bound);
      ctx.presence.disconnected(bound, reason);
    }
  }

  return session;
}
