/**
 * Stable codes for what can go wrong on an XMPP connection.
 * - auth_failed: the server refused our credentials, or failed to prove it knows them
 *   (SCRAM server signature, RFC 5802 §5.1 `v=`).
 * - connect_failed: no server, the connection dropped or stalled during login.
 * - not_online: a send was attempted while disconnected (e.g. during a reconnect).
 * - stopped: the connection was stopped; it cannot be started again.
 * - replaced: another login with our full JID took over the session (RFC 6120 §4.9.3.3
 *   conflict); we log in again only after a backoff that grows with each takeover in a row,
 *   so two copies do not keep kicking each other out, and a stolen password cannot switch a
 *   worker off for good.
 * - stream_error: anything else going wrong on an established stream (the cause says what).
 * - tls_required: the connection must be encrypted (a pin or CA is configured, or the server is
 *   not on this machine) and the server offers no STARTTLS; nothing was sent.
 * - tls_untrusted: the server's certificate is not trusted (self-signed, expired, for another
 *   name) or is not the pinned one.
 */
export type XmppErrorCode =
  | 'auth_failed'
  | 'connect_failed'
  | 'not_online'
  | 'stopped'
  | 'replaced'
  | 'stream_error'
  | 'tls_required'
  | 'tls_untrusted';

export class XmppError extends Error {
  readonly code: XmppErrorCode;

  constructor(code: XmppErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XmppError';
    this.code = code;
  }
}

/** SASL failures as xmpp.js reports them (`<failure><not-authorized/></failure>`, RFC 6120 §6.5). */
export function isSaslFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'SASLError';
}

/** A stream error with the given condition (RFC 6120 §4.9.3), as xmpp.js reports it. */
export function isStreamError(error: unknown, condition: string): boolean {
  return (
    error instanceof Error &&
    error.name === 'StreamError' &&
    (error as Error & { condition?: string }).condition === condition
  );
}

/** Node's codes for a certificate chain or name it could not verify (node:tls, OpenSSL). */
const UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const TRUST_READING: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a self-signed certificate',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it is for another name',
};

/** Maps anything a login can throw onto our login codes. */
export function toLoginError(error: unknown): XmppError {
  const kept = ['auth_failed', 'stopped', 'tls_required', 'tls_untrusted'];
  if (error instanceof XmppError && kept.includes(error.code)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNTRUSTED_CODES.has(code)) {
    const why = TRUST_READING[code] ?? 'no trusted authority signed it';
    return new XmppError('tls_untrusted', `the server's certificate is not trusted: ${why}`, {
      cause: error,
    });
  }
  if (isSaslFailure(error)) {
    return new XmppError('auth_failed', `authentication failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new XmppError('connect_failed', `could not connect: ${reason}`, { cause: error });
}
