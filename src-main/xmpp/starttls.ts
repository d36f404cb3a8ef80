// STARTTLS (RFC 6120 §5) that can trust a head node's self-signed certificate without switching
// verification off and without NODE_EXTRA_CA_CERTS (which only a fresh process can set): either
// its PEM as an extra CA (local clients), or the SHA-256 fingerprint an invite carries (pinning:
// the connection is dropped unless the certificate is exactly that one). A client that must have
// TLS refuses a server that does not offer it, before it sends anything: a worker obeys whoever
// speaks for its manager on the connection, so a plaintext stream would let anyone on the path
// hand it commands, and read its password and an invite's token.
import { rootCertificates, type TLSSocket } from 'node:tls';
import type { Middleware } from '@xmpp/middleware';
import type { StreamFeatures } from '@xmpp/stream-features';
import { canUpgrade, upgrade } from '@xmpp/starttls/starttls.js';
import _starttls from '@xmpp/starttls';
import { xml } from '@xmpp/xml';
import { XmppError } from './errors.ts';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_STREAMS = 'http://etherx.jabber.org/streams';

export interface TrustOptions {
  /** A PEM certificate to trust besides the system's. */
  ca?: string;
  /** SHA-256 fingerprint of the only certificate to accept: `AB:CD:…`, hex, or `SHA256:…`. */
  pin?: string;
}

/**
 * Installs STARTTLS on a client. `requireTls`: stream features without <starttls/> on a stream
 * that is not encrypted yet end the connection with `tls_required` before anything is sent.
 */
export function setupStarttls(
  middleware: Middleware,
  streamFeatures: StreamFeatures,
  trust: TrustOptions,
  requireTls: boolean,
): void {
  if (requireTls) {
    // Registered before SASL and registration, so it runs first (koa-style middleware order).
    middleware.use((ctx, next) => {
      const { stanza, entity } = ctx;
      if (!stanza.is('features', NS_STREAMS) || entity.isSecure()) return next();
      if (stanza.getChild('starttls', NS_TLS) !== undefined) return next();
      throw new XmppError(
        'tls_required',
        'the server offers no STARTTLS; refusing to send credentials or take work over an unencrypted connection',
      );
    });
  }
  if (trust.ca === undefined && trust.pin === undefined) {
    _starttls({ streamFeatures });
    return;
  }
  streamFeatures.use('starttls', NS_TLS, async ({ entity }, next) => {
    if (!canUpgrade(entity.socket)) return next();
    const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    if (!answer.is('proceed', NS_TLS)) throw new Error('STARTTLS_FAILURE');
    const domain = entity.options.domain;
    const secured = await upgrade(entity.socket, {
      host: domain,
      servername: domain,
      ...(trust.pin === undefined
        ? { ca: [...rootCertificates, trust.ca ?? ''] }
        : // The pin is checked below, before anything is sent over the connection.
          { rejectUnauthorized: false }),
    });
    if (trust.pin !== undefined) {
      const tlsSocket = (secured as { socket?: TLSSocket }).socket;
      const seen = tlsSocket?.getPeerCertificate().fingerprint256;
      if (seen === undefined || seen.toUpperCase() !== normalisePin(trust.pin)) {
        tlsSocket?.destroy();
        throw new XmppError(
          'tls_untrusted',
          `the server's certificate (${seen ?? 'none'}) is not the one pinned (${trust.pin})`,
        );
      }
    }
    entity._attachSocket(secured);
    await entity.restart();
  });
}

/** `abcd…`, `AB:CD:…` or `SHA256:AB:CD:…` → `AB:CD:…`. */
export function normalisePin(pin: string): string {
  const hex = pin
    .replace(/^sha-?256[:/]/i, '')
    .replace(/[^0-9a-f]/gi, '')
    .toUpperCase();
  return hex.match(/../g)?.join(':') ?? '';
}

/** Whether `pin` reads as a SHA-256 fingerprint in one of the forms normalisePin takes. */
export function isPin(pin: string): boolean {
  return /^(sha-?256[:/])?([0-9a-f]{2}:?){31}[0-9a-f]{2}$/i.test(pin.trim());
}
