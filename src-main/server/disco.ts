// XEP-0030 service discovery for the server and for accounts. The server's info says what it
// does not do as well: no offline storage (no 'msgoffline' feature, XEP-0160, and an explicit
// XEP-0128 field), so a client knows a message to an offline user comes back as an error.
import { xml, type Element } from '@xmpp/xml';

import { iqResult } from './errors.ts';
import type { IqHandlers } from './iq-handlers.ts';
import {
  NS_DATA_FORMS,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  NS_KESTREL_SERVER_INFO,
  NS_PARS,
  NS_PING,
  NS_REGISTER,
  NS_ROSTER,
} from './namespaces.ts';
import type { RosterStore } from './roster-store.ts';
import { contactSubscribed } from './roster.ts';

export interface DiscoDeps {
  iq: IqHandlers;
  rosters: RosterStore;
  maxStanzaBytes: number;
}

const SERVER_FEATURES = [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_ROSTER, NS_REGISTER, NS_PARS];

export function registerDisco({ iq, rosters, maxStanzaBytes }: DiscoDeps): void {
  const serverInfo = (node: string | undefined): Element =>
    xml(
      'query',
      { xmlns: NS_DISCO_INFO, node },
      xml('identity', { category: 'server', type: 'im', name: 'Kestrel' }),
      ...SERVER_FEATURES.map((feature) => xml('feature', { var: feature })),
      xml(
        'x',
        { xmlns: NS_DATA_FORMS, type: 'result' },
        field('FORM_TYPE', NS_KESTREL_SERVER_INFO, 'hidden'),
        field('offline-storage', '0', 'boolean'),
        field('max-stanza-size', String(maxStanzaBytes)),
      ),
    );

  iq.on(['server'], 'get', NS_DISCO_INFO, 'query', ({ stanza, payload }) =>
    iqResult(stanza, serverInfo(payload.attrs.node)),
  );
  iq.on(['server', 'self', 'account'], 'get', NS_DISCO_ITEMS, 'query', ({ stanza, payload }) =>
    iqResult(stanza, xml('query', { xmlns: NS_DISCO_ITEMS, node: payload.attrs.node })),
  );
  // An account's identity is shown to itself and to contacts that see its presence, as
  // Prosody does; to anyone else the account does not answer.
  iq.on(['self', 'account'], 'get', NS_DISCO_INFO, 'query', ({ stanza, origin, target, to }) => {
    if (target === 'account' && to !== undefined) {
      if (!contactSubscribed(rosters.load(to.local), origin.jid.bare)) return undefined;
    }
    return iqResult(
      stanza,
      xml(
        'query',
        { xmlns: NS_DISCO_INFO },
        xml('identity', { category: 'account', type: 'registered' }),
        xml('feature', { var: NS_DISCO_INFO }),
      ),
    );
  });
}

function field(name: string, value: string, type?: string): Element {
  return xml('field', { var: name, type }, xml('value', {}, value));
}
