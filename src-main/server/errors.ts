// Typed errors of the embedded server (stable `code`), and the XMPP error elements it sends:
// stream errors (RFC 6120 §4.9) and stanza errors (RFC 6120 §8.3), built in one place.
import { xml, type Element } from '@xmpp/xml';

import { NS_STANZA_ERRORS, NS_STREAM_ERRORS } from './namespaces.ts';

/**
 * - invalid_options: createXmppServer() options failed validation.
 * - invalid_username / invalid_password: an account name is not a valid JID localpart
 *   (RFC 7622 §3.3), or a password is empty or too long.
 * - account_exists / no_such_account: add() of an existing name, change of a missing one.
 * - confusable_username: add() of a name that looks like an existing account (TR39 skeleton).
 * - invalid_invite: an invite token is unknown, used or expired.
 * - tls_setup_failed: the certificate could not be loaded or generated.
 * - listen_failed: the TCP port could not be bound.
 * - stopped: the server was stopped.
 */
export type XmppServerErrorCode =
  | 'invalid_options'
  | 'invalid_username'
  | 'invalid_password'
  | 'account_exists'
  | 'confusable_username'
  | 'no_such_account'
  | 'invalid_invite'
  | 'invalid_role'
  | 'tls_setup_failed'
  | 'listen_failed'
  | 'stopped';

export class XmppServerError extends Error {
  readonly code: XmppServerErrorCode;

  constructor(code: XmppServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XmppServerError';
    this.code = code;
  }
}

/** RFC 6120 §4.9.3, the conditions this server sends. */
export type StreamErrorCondition =
  | 'bad-format'
  | 'conflict'
  | 'connection-timeout'
  | 'host-unknown'
  | 'invalid-namespace'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

export function streamError(condition: StreamErrorCondition, text?: string): Element {
  return xml(
    'stream:error',
    {},
    xml(condition, { xmlns: NS_STREAM_ERRORS }),
    text !== undefined && xml('text', { xmlns: NS_STREAM_ERRORS, 'xml:lang': 'en' }, text),
  );
}

/** RFC 6120 §8.3.3, the conditions this server sends, each with its usual error type. */
const STANZA_ERROR_TYPES = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  'internal-server-error': 'wait',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'remote-server-not-found': 'cancel',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'unexpected-request': 'wait',
} as const;

export type StanzaErrorCondition = keyof typeof STANZA_ERROR_TYPES;

/**
 * The error reply to `stanza` (RFC 6120 §8.3.1): same name and id, type 'error', addresses
 * swapped. `from` defaults to the original recipient, for errors given on its behalf.
 */
export function errorReply(
  stanza: Element,
  condition: StanzaErrorCondition,
  options: { from?: string; text?: string } = {},
): Element {
  const { attrs } = stanza;
  return xml(
    stanza.name,
    { id: attrs.id, type: 'error', from: options.from ?? attrs.to, to: attrs.from },
    xml(
      'error',
      { type: STANZA_ERROR_TYPES[condition] },
      xml(condition, { xmlns: NS_STANZA_ERRORS }),
      options.text !== undefined &&
        xml('text', { xmlns: NS_STANZA_ERRORS, 'xml:lang': 'en' }, options.text),
    ),
  );
}

/** The empty result to an IQ get/set (RFC 6120 §8.2.3), with an optional payload. */
export function iqResult(stanza: Element, payload?: Element): Element {
  const { attrs } = stanza;
  return xml('iq', { id: attrs.id, type: 'result', from: attrs.to, to: attrs.from }, payload);
}
