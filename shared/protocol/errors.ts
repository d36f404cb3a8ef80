/** Error codes of protocol v1 and the result shape every decoder returns. */

/** Codes a user can receive in {type:'error'} replies. */
export const USER_ERROR_CODES = [
  'bad_syntax',
  'not_an_object',
  'unknown_type',
  'invalid_field',
  'too_large',
  'unknown_job',
  'forbidden',
  'rate_limited',
  'internal',
] as const;

/** Worker<->manager traffic adds a code for a peer that speaks another protocol version. */
export const ERROR_CODES = [...USER_ERROR_CODES, 'unsupported_version'] as const;

export type UserErrorCode = (typeof USER_ERROR_CODES)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ProtocolError<C extends ErrorCode = ErrorCode> {
  code: C;
  /** Short, human, names the field and what was expected. */
  reason: string;
}

/** What a decoder returns: never an exception. */
export type Decoded<T, C extends ErrorCode = ErrorCode> =
  { ok: true; message: T } | { ok: false; error: ProtocolError<C> };

export function failure<C extends ErrorCode>(
  code: C,
  reason: string,
): { ok: false; error: ProtocolError<C> } {
  return { ok: false, error: { code, reason } };
}
