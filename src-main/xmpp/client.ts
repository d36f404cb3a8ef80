// Our composition root over the xmpp.js packages, in the spirit of @xmpp/client's index.js but
// without stream management, SASL2, Bind 2 or FAST: a scheduler needs a killed worker to be
// reported unavailable as soon as its TCP connection drops, which the hibernation of XEP-0198
// resumption postpones, and Kestrel's own protocol reconciles state after a reconnect.
import net from 'node:net';

import { Client, jid } from '@xmpp/client-core';
import _reconnect, { type Reconnect } from '@xmpp/reconnect';
import _tcp from '@xmpp/tcp';
import _tls from '@xmpp/tls';
import type { Middleware } from '@xmpp/middleware';
import _streamFeatures from '@xmpp/stream-features';
import _iqCaller, { type IqCaller } from '@xmpp/iq/caller.js';
import _iqCallee, { type IqCallee } from '@xmpp/iq/callee.js';
import _sasl, { type OnAuthenticate } from '@xmpp/sasl';
import _resourceBinding from '@xmpp/resource-binding';
import SaslFactory, { type Mechanism } from 'saslmechanisms';
import type { Element } from '@xmpp/xml';

import { installScopedDisconnect, tcpSocketOf } from './disconnect.ts';
import { createMiddleware } from './middleware.ts';
import { XmppError } from './errors.ts';
import { PlainMechanism } from './plain.ts';
import { setupStarttls } from './starttls.ts';
import { ScramMechanism, ScramSha1Mechanism, ScramSha256Mechanism } from './scram.ts';
import { traceStanzas } from './trace.ts';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_PING = 'urn:xmpp:ping';

export interface XmppClientOptions {
  /** `xmpp://host:port` (STARTTLS when offered) or `xmpps://host:port` (direct TLS). */
  service: string;
  /** More addresses of the same server (nodes of a cluster), tried after `service`. */
  fallbacks?: readonly string[];
  domain: string;
  username: string;
  password: string;
  resource?: string;
  /** Milliseconds to wait for the stream to open or close; default 5000. */
  timeout?: number;
  /** A PEM certificate to trust besides the system's (a head node's self-signed one). */
  ca?: string;
  /** SHA-256 fingerprint of the only server certificate to accept (from an invite). */
  pin?: string;
  /**
   * Log in even when a server elsewhere offers no STARTTLS. Off by default: without TLS anyone
   * on the network path could read the password and speak for the manager. Never with a pin or
   * CA, which say the server has a certificate to show.
   */
  allowPlaintext?: boolean;
}

export interface XmppClient {
  entity: Client;
  /** Created stopped: the owner starts it once a first login has succeeded. */
  reconnect: Reconnect;
  middleware: Middleware;
  iqCaller: IqCaller;
  iqCallee: IqCallee;
}

/** A Factory that remembers the mechanism it created, so the login can check its outcome. */
class TrackingSaslFactory extends SaslFactory {
  last: Mechanism | null = null;

  override create(names: string[]): Mechanism | null {
    this.last = super.create(names);
    return this.last;
  }
}

export function createXmppClient(options: XmppClientOptions): XmppClient {
  const { service, domain, username, resource } = options;
  const entity = new Client({ service, domain, timeout: options.timeout ?? 5000 });
  // Lets the stream header carry `from` once TLS protects it (RFC 6120 §4.7.1).
  entity.jid = jid(username, domain);

  installScopedDisconnect(entity);
  const reconnect = _reconnect({ entity });
  reconnect.stop();
  _tcp({ entity });
  _tls({ entity });
  entity.on('connect', () => tcpSocketOf(entity.socket)?.setNoDelay(true));

  const middleware = createMiddleware({ entity });
  const streamFeatures = _streamFeatures({ middleware });
  const iqCaller = _iqCaller({ middleware, entity });
  const iqCallee = _iqCallee({ middleware, entity });

  // Priority order: the factory's order is the order of preference (see getAvailableMechanisms).
  const saslFactory = new TrackingSaslFactory();
  saslFactory.use(ScramSha256Mechanism).use(ScramSha1Mechanism).use(PlainMechanism);

  // Stream features, in negotiation order (XEP-0170): STARTTLS, SASL, resource binding.
  setupStarttls(middleware, streamFeatures, options, requiresTls(options));
  _sasl({ streamFeatures, saslFactory }, authenticateWith(saslFactory, options));
  _resourceBinding({ streamFeatures, iqCaller }, resource);

  // XEP-0199 §4.1, §4.4: answer pings from the server and from peers, so a manager can tell a
  // frozen worker from a live one.
  iqCallee.get(NS_PING, 'ping', () => ({}));

  if (process.env.KESTREL_XMPP_TRACE === '1') traceStanzas(entity, `${username}@${domain}`);
  return { entity, reconnect, middleware, iqCaller, iqCallee };
}

function authenticateWith(factory: TrackingSaslFactory, options: XmppClientOptions) {
  const loopback = allLoopback(options);
  const onAuthenticate: OnAuthenticate = async (authenticate, offered, _fast, entity) => {
    // PLAIN sends the password itself: only inside TLS or to a server on this machine.
    const mechanism = offered.find((m) => m !== 'PLAIN' || entity.isSecure() || loopback);
    if (mechanism === undefined) {
      throw new XmppError('auth_failed', `no acceptable SASL mechanism in [${offered}]`);
    }
    // @xmpp/sasl ends the exchange on <success> without handing its additional data
    // (RFC 6120 §6.4.6) to the mechanism: collect it here so SCRAM can verify the server.
    let additionalData = '';
    const onNonza = (element: Element) => {
      if (element.is('success', NS_SASL)) additionalData = element.text();
    };
    entity.on('nonza', onNonza);
    try {
      await authenticate({ username: options.username, password: options.password }, mechanism);
    } finally {
      entity.off('nonza', onNonza);
    }
    const mech = factory.last;
    if (mech instanceof ScramMechanism) {
      // "=" stands for empty additional data (RFC 6120 §6.4.6).
      if (additionalData !== '' && additionalData !== '=') mech.challenge(atob(additionalData));
      if (!mech.complete) throw new XmppError('auth_failed', 'SCRAM: server sent no signature');
    }
  };
  return onAuthenticate;
}

/**
 * entity.start(), which resolves once bound (RFC 6120 §7) but on its own neither rejects when
 * the socket closes during login nor gives up on a server that stops answering.
 */
export function startEntity(entity: Client, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown) => {
      clearTimeout(timer);
      entity.off('disconnect', onDisconnect);
      entity.off('error', settle);
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(
      () => settle(new XmppError('connect_failed', `no login within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onDisconnect = () => settle(new XmppError('connect_failed', 'connection closed'));
    entity.once('disconnect', onDisconnect);
    entity.once('error', settle);
    entity.start().then(() => settle(), settle);
  });
}

/** Drops the connection at once (the server sees the TCP connection close). */
export function destroySocket(entity: Client): void {
  tcpSocketOf(entity.socket)?.destroy();
}

/**
 * TLS is required with a pin or CA (they promise a certificate), and for any server not on this
 * machine unless plaintext is explicitly allowed; `xmpps://` is encrypted from the start.
 */
export function requiresTls(options: {
  service: string;
  fallbacks?: readonly string[];
  ca?: string;
  pin?: string;
  allowPlaintext?: boolean;
}): boolean {
  if (options.ca !== undefined || options.pin !== undefined) return true;
  return options.allowPlaintext !== true && !allLoopback(options);
}

/** Plaintext rules for loopback hold only if every address the client may use is on this machine. */
function allLoopback(options: { service: string; fallbacks?: readonly string[] }): boolean {
  return [options.service, ...(options.fallbacks ?? [])].every(isLoopback);
}

export function isLoopback(service: string): boolean {
  const host = new URL(service).hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}
