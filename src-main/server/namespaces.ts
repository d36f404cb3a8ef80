// XML namespaces the embedded server speaks, in one place.

export const NS_CLIENT = 'jabber:client';
export const NS_STREAMS = 'http://etherx.jabber.org/streams';
export const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';
export const NS_STANZA_ERRORS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
/** RFC 3921 §3 session establishment, kept for old clients (RFC 6121 Appendix E). */
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
export const NS_ROSTER = 'jabber:iq:roster';
export const NS_PING = 'urn:xmpp:ping';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_REGISTER = 'jabber:iq:register';
export const NS_REGISTER_FEATURE = 'http://jabber.org/features/iq-register';
/** XEP-0445 pre-authenticated in-band registration: stream feature and token IQ (XEP-0379). */
export const NS_IBR_TOKEN = 'urn:xmpp:ibr-token:0';
export const NS_PARS = 'urn:xmpp:pars:0';
export const NS_DATA_FORMS = 'jabber:x:data';
/** Our XEP-0128 extended disco information (no offline storage, stanza size limit). */
export const NS_KESTREL_SERVER_INFO = 'urn:kestrel:server-info:0';
