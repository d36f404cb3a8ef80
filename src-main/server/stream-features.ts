// The server's side of stream setup (RFC 6120 §4.7–4.8): its response header, the checks on
// the client's header, and the features offered at each stage (§4.3.2): STARTTLS (required
// when encryption is), then SASL mechanisms and registration, then after login resource
// binding and the optional legacy session (RFC 6121 Appendix E).
import { randomBytes } from 'node:crypto';

import { xml, type Element } from '@xmpp/xml';

import type { StreamErrorCondition } from './errors.ts';
import { parseJid, prepDomain } from './jid.ts';
import * as ns from './namespaces.ts';
import type { StreamHeader } from './xml-stream.ts';

/** Our stream header, answering `header` (its 'from' becomes our 'to', §4.7.2). */
export function responseHeader(domain: string, header: StreamHeader | undefined): string {
  const from = header?.attrs.from === undefined ? undefined : parseJid(header.attrs.from);
  const to = from === undefined ? '' : ` to='${escapeAttribute(from.full)}'`;
  const id = randomBytes(12).toString('base64url');
  return (
    `<?xml version='1.0'?><stream:stream xmlns='${ns.NS_CLIENT}' xmlns:stream='${ns.NS_STREAMS}'` +
    ` id='${id}' from='${domain}'${to} version='1.0' xml:lang='en'>`
  );
}

/**
 * What is wrong with a client's header, if anything: it must be a stream in the streams
 * namespace with jabber:client content, version 1.0 or later, addressed to our domain.
 */
export function checkHeader(
  domain: string,
  header: StreamHeader,
): [StreamErrorCondition, string] | undefined {
  if (header.local !== 'stream' || header.uri !== ns.NS_STREAMS) {
    return ['invalid-namespace', `expected a stream in ${ns.NS_STREAMS}`];
  }
  if (header.defaultNs !== ns.NS_CLIENT) {
    return ['invalid-namespace', `the content namespace must be ${ns.NS_CLIENT}`];
  }
  if (!/^[1-9]\d*\.\d+$/.test(header.attrs.version ?? '')) {
    return ['unsupported-version', 'XMPP 1.0 streams only'];
  }
  if (header.attrs.to !== undefined && prepDomain(header.attrs.to) !== domain) {
    return ['host-unknown', `this server is ${domain}`];
  }
  return undefined;
}

export interface FeatureState {
  authenticated: boolean;
  secure: boolean;
  tlsOffered: boolean;
  requireEncryption: boolean;
  mechanisms: string[];
}

export function streamFeatures(state: FeatureState): Element {
  const children: Element[] = [];
  if (state.authenticated) {
    children.push(xml('bind', { xmlns: ns.NS_BIND }));
    children.push(xml('session', { xmlns: ns.NS_SESSION }, xml('optional')));
  } else {
    if (state.tlsOffered && !state.secure) {
      const required = state.requireEncryption && xml('required');
      children.push(xml('starttls', { xmlns: ns.NS_TLS }, required));
    }
    // §5.3.1: with encryption mandatory, nothing else is offered before TLS.
    if (state.secure || !state.requireEncryption) {
      const mechanisms = state.mechanisms.map((m) => xml('mechanism', {}, m));
      children.push(xml('mechanisms', { xmlns: ns.NS_SASL }, ...mechanisms));
      children.push(xml('register', { xmlns: ns.NS_REGISTER_FEATURE }));
      children.push(xml('register', { xmlns: ns.NS_IBR_TOKEN }));
    }
  }
  return xml('stream:features', {}, ...children);
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
