// STARTTLS (RFC 6120 §5) that can trust a head node's self-signed certificate without switching
// verification off and without NODE_EXTRA_CA_CERTS (which only a fresh process can set): either
// its PEM as an extra CA (local clients), or the SHA-256 fingerprint an invite carries (pinning:
// the connection is dropped unless the certificate is exactly that one).
import { rootCertificates, type TLSSocket } from 'node:tls';
import type { StreamFeatures } from '@xmpp/stream-features';
import { canUpgrade, upgrade } from '@xmpp/starttls/starttls.js';
import _starttls from '@xmpp/starttls';
import { xml } from '@xmpp/xml';
import { XmppError } from './errors.ts';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

export interface TrustOptions {
  /** A PEM certificate to trust besides the system's. */
  ca?: string;
  /** SHA-256 fingerprint of the only certificate to accept, as `AB:CD:…` (Node's fingerprint256). */
  pin?: string;
}

export function setupStarttls(streamFeatures: StreamFeatures, trust: TrustOptions): void {
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
          'connect_failed',
          `the server's certificate (${seen ?? 'none'}) is not the one pinned (${trust.pin})`,
        );
      }
    }
    entity._attachSocket(secured);
    await entity.restart();
  });
}

/** `abcd…` or `AB:CD:…` → `AB:CD:…`. */
export function normalisePin(pin: string): string {
  const hex = pin.replace(/[^0-9a-f]/gi, '').toUpperCase();
  return hex.match(/../g)?.join(':') ?? '';
}
