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
 */
export type XmppErrorCode =
  'auth_failed' | 'connect_failed' | 'not_online' | 'stopped' | 'replaced' | 'stream_error';

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

/** Maps anything a login can throw onto our two login codes. */
export function toLoginError(error: unknown): XmppError {
  if (error instanceof XmppError && (error.code === 'auth_failed' || error.code === 'stopped')) {
    return error;
  }
  if (isSaslFailure(error)) {
    return new XmppError('auth_failed', `authentication failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new XmppError('connect_failed', `could not connect: ${reason}`, { cause: error });
}
