// XEP-0077 in-band registration with an invite token (XEP-0445 pre-authenticated registration):
// how a volunteer's worker creates its own account on a head node it was invited to.
import { Client } from '@xmpp/client-core';
import _iqCaller from '@xmpp/iq/caller.js';
import _streamFeatures from '@xmpp/stream-features';
import _tcp from '@xmpp/tcp';
import _tls from '@xmpp/tls';
import { xml } from '@xmpp/xml';
import { XmppError } from './errors.ts';
import { destroySocket, requiresTls } from './client.ts';
import { setupStarttls, type TrustOptions } from './starttls.ts';
import { createMiddleware } from './middleware.ts';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

export interface RegistrationOptions extends TrustOptions {
  service: string;
  domain: string;
  token: string;
  username: string;
  password: string;
  timeoutMs?: number;
}

export function registerWithInvite(options: RegistrationOptions): Promise<void> {
  const entity = new Client({ service: options.service, domain: options.domain, timeout: 5000 });
  _tcp({ entity });
  _tls({ entity });
  const middleware = createMiddleware({ entity });
  const streamFeatures = _streamFeatures({ middleware });
  const iqCaller = _iqCaller({ middleware, entity });
  // An invite's token and the new password must never cross an unencrypted connection.
  setupStarttls(middleware, streamFeatures, options, requiresTls(options));

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A failed registration (a server without TLS, a wrong pin) is not said goodbye to.
      if (error !== undefined) destroySocket(entity);
      void entity.stop().catch(() => undefined);
      if (error === undefined) resolve();
      else
        reject(
          error instanceof XmppError
            ? error
            : new XmppError('auth_failed', `registration failed: ${describe(error)}`),
        );
    };
    const timer = setTimeout(
      () => finish(new XmppError('connect_failed', 'registration timed out')),
      options.timeoutMs ?? 15_000,
    );
    // Registration happens where a client would authenticate: after STARTTLS, before SASL.
    streamFeatures.use('mechanisms', NS_SASL, async () => {
      try {
        await iqCaller.set(xml('preauth', { xmlns: 'urn:xmpp:pars:0', token: options.token }));
        await iqCaller.set(
          xml(
            'query',
            { xmlns: 'jabber:iq:register' },
            xml('username', {}, options.username),
            xml('password', {}, options.password),
          ),
        );
        finish();
      } catch (error) {
        finish(error);
      }
    });
    entity.on('error', (error: unknown) => finish(error));
    entity.start().catch((error: unknown) => finish(error));
  });
}

function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'condition' in error) {
    const e = error as { condition: string; text?: string };
    return e.text ? `${e.condition}: ${e.text}` : e.condition;
  }
  return error instanceof Error ? error.message : String(error);
}
