import { XmppError } from '../xmpp/errors.ts';
import { CliError, EXIT } from './errors.ts';

/**
 * One line for a login that failed, naming what to do about it: the `kestrel` command's wording
 * for the XMPP layer's error codes (the desktop app words them its own way).
 */
export function loginFailure(error: unknown, who: { jid: string; server: string }): unknown {
  if (!(error instanceof XmppError)) return error; // not about the connection: a bug or the store
  const at = `${who.server} as ${who.jid}`;
  switch (error.code) {
    case 'tls_untrusted':
      return new CliError(
        `cannot connect to ${who.server}: ${error.message}. If it is a Kestrel head node, pass ` +
          '--pin with the fingerprint `kestrel head` prints at start, or join with --join LINK',
        EXIT.connection,
      );
    case 'tls_required':
      return new CliError(
        `cannot connect to ${who.server}: ${error.message}` +
          ' (--allow-plaintext logs in anyway, without a pin, on a network you trust)',
        EXIT.connection,
      );
    case 'auth_failed':
      return new CliError(`cannot log in on ${at}: ${error.message}`, EXIT.connection);
    default:
      return new CliError(`cannot reach ${who.server}: ${error.message}`, EXIT.connection);
  }
}
