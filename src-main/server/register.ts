// XEP-0077 in-band registration, closed unless the client holds a one-time invite token:
// it proves it with XEP-0445 (`<preauth xmlns='urn:xmpp:pars:0' token='…'/>` in an IQ set
// before registering, as Prosody's mod_invites_register) or with a `token` field in the
// XEP-0077 §3.4 data form. Authenticated users may change their password (§3.3) or cancel
// their account (§3.2).
import { xml, type Element } from '@xmpp/xml';

import type { AccountRoles } from './account-roles.ts';
import type { AccountStore } from './account-store.ts';
import { XmppServerError, errorReply, iqResult } from './errors.ts';
import type { IqHandlers } from './iq-handlers.ts';
import type { InviteStore } from './invites.ts';
import { prepLocal } from './jid.ts';
import { NS_DATA_FORMS, NS_PARS, NS_REGISTER } from './namespaces.ts';

export interface RegistrationDeps {
  accounts: AccountStore;
  roles: AccountRoles;
  invites: InviteStore;
  /** Removes an account and closes its sessions (after the reply has gone out). */
  removeAccount: (username: string) => void;
}

/** What an unauthenticated stream has proved so far. */
export interface PreAuthState {
  token: string | undefined;
}

const INSTRUCTIONS =
  'Registration on this server needs an invite: send its token first (XEP-0445 preauth) or ' +
  'in the token field of this form.';

/** Answers register and preauth IQs on a stream that has not authenticated yet. */
export async function handleUnauthenticated(
  deps: RegistrationDeps,
  stanza: Element,
  state: PreAuthState,
): Promise<Element> {
  const type = stanza.attrs.type;
  const preauth = stanza.getChild('preauth', NS_PARS);
  if (type === 'set' && preauth) {
    const token = preauth.attrs.token ?? '';
    if (!deps.invites.check(token)) {
      return errorReply(stanza, 'forbidden', { text: 'The invite token is invalid or expired' });
    }
    state.token = token;
    return iqResult(stanza);
  }
  const query = stanza.getChild('query', NS_REGISTER);
  if (query === undefined) return errorReply(stanza, 'service-unavailable');
  if (type === 'get') return iqResult(stanza, registrationForm());
  if (type !== 'set') return errorReply(stanza, 'bad-request');

  const fields = submittedFields(query);
  const token = fields.get('token') ?? state.token;
  const name = fields.get('username') ?? '';
  const password = fields.get('password') ?? '';
  if (token === undefined || !deps.invites.check(token, prepLocal(name))) {
    return errorReply(stanza, 'forbidden', { text: 'Registration is by invitation only' });
  }
  // Everything that can refuse the name or password is checked before the invite is spent.
  let username: string;
  try {
    username = deps.accounts.checkNew(name, password);
  } catch (error) {
    return refusal(stanza, error);
  }
  const roles = deps.invites.rolesOf(token);
  try {
    await deps.accounts.add(username, password);
  } catch (error) {
    return refusal(stanza, error);
  }
  if (!deps.invites.consume(token, username)) {
    // Spent by another registration while the password was being hashed: that one won.
    deps.accounts.remove(username);
    return errorReply(stanza, 'forbidden', { text: 'The invite token is invalid or expired' });
  }
  deps.roles.set(username, roles); // what the invite was for: by default, a worker
  state.token = undefined;
  return iqResult(stanza);
}

/** XEP-0077 §3.1 errors for a refused name or password; anything else is the server's fault. */
function refusal(stanza: Element, error: unknown): Element {
  if (!(error instanceof XmppServerError)) throw error;
  switch (error.code) {
    case 'account_exists':
      return errorReply(stanza, 'conflict');
    case 'confusable_username':
      return errorReply(stanza, 'conflict', { text: error.message });
    case 'invalid_username':
      return errorReply(stanza, 'jid-malformed', { text: error.message });
    default:
      return errorReply(stanza, 'not-acceptable', { text: error.message });
  }
}

/** Register IQs from authenticated users: their registration, password change, removal. */
export function registerAccountIq(iq: IqHandlers, deps: RegistrationDeps): void {
  iq.on(['self', 'server'], 'get', NS_REGISTER, 'query', ({ stanza, origin }) =>
    iqResult(
      stanza,
      xml(
        'query',
        { xmlns: NS_REGISTER },
        xml('registered'),
        xml('username', {}, origin.jid.local),
        xml('password'),
      ),
    ),
  );
  iq.on(['self', 'server'], 'set', NS_REGISTER, 'query', async ({ stanza, payload, origin }) => {
    const username = origin.jid.local;
    if (payload.getChild('remove')) {
      // §3.2: reply first, then the account and its streams go.
      setImmediate(() => deps.removeAccount(username));
      return iqResult(stanza);
    }
    const fields = submittedFields(payload);
    if (prepLocal(fields.get('username') ?? '') !== username) {
      return errorReply(stanza, 'bad-request', { text: 'username does not match the account' });
    }
    try {
      await deps.accounts.setPassword(username, fields.get('password') ?? '');
    } catch (error) {
      if (error instanceof XmppServerError) return errorReply(stanza, 'not-acceptable');
      throw error;
    }
    return iqResult(stanza);
  });
}

function registrationForm(): Element {
  const field = (name: string, type: string, label: string) =>
    xml('field', { var: name, type, label }, xml('required'));
  return xml(
    'query',
    { xmlns: NS_REGISTER },
    xml('instructions', {}, INSTRUCTIONS),
    xml('username'),
    xml('password'),
    xml(
      'x',
      { xmlns: NS_DATA_FORMS, type: 'form' },
      xml('title', {}, 'Account registration'),
      xml('instructions', {}, INSTRUCTIONS),
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_REGISTER)),
      field('username', 'text-single', 'Username'),
      field('password', 'text-private', 'Password'),
      field('token', 'text-single', 'Invite token'),
    ),
  );
}

/** The legacy fields (§3.1) or, when present, the submitted data form (§3.4). */
function submittedFields(query: Element): Map<string, string> {
  const fields = new Map<string, string>();
  const form = query.getChild('x', NS_DATA_FORMS);
  if (form) {
    for (const field of form.getChildren('field')) {
      const name = field.attrs.var;
      if (name !== undefined) fields.set(name, field.getChildText('value') ?? '');
    }
    return fields;
  }
  for (const name of ['username', 'password', 'token']) {
    const text = query.getChildText(name);
    if (text !== null) fields.set(name, text);
  }
  return fields;
}
