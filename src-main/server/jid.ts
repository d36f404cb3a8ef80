// JIDs as the server needs them (RFC 7622): parsed, checked and normalised once at the edge so
// the routing table can compare plain strings. Localparts get the same PRECIS preparation as
// usernames everywhere else (username.ts); resourceparts and domains are approximated with
// Unicode normalisation and case mapping, which is what matters for equal addresses.
import { prepUsername } from './username.ts';

export interface Jid {
  local: string;
  domain: string;
  resource: string;
  /** local@domain, or domain alone. */
  bare: string;
  /** bare/resource, or bare when there is no resource. */
  full: string;
}

const MAX_PART_BYTES = 1023; // RFC 7622 §3.2–3.4
const DOMAIN_FORBIDDEN = /[\s"&'/:<>@\\\p{Cc}]/u;
const CONTROLS = /\p{Cc}/u;

/** The UsernameCaseMapped profile (RFC 8265 §3.3) for a localpart; undefined if not allowed. */
export function prepLocal(local: string): string | undefined {
  return prepUsername(local);
}

/** The OpaqueString profile (RFC 8265 §4.2), approximately; undefined if not allowed. */
export function prepResource(resource: string): string | undefined {
  const prepped = resource.replace(/[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g, ' ');
  const normal = prepped.normalize('NFC');
  if (normal.trim() === '' || CONTROLS.test(normal)) return undefined;
  return byteLength(normal) <= MAX_PART_BYTES ? normal : undefined;
}

export function prepDomain(domain: string): string | undefined {
  const prepped = domain.normalize('NFKC').toLowerCase().replace(/\.$/, '');
  if (prepped === '' || DOMAIN_FORBIDDEN.test(prepped)) return undefined;
  return byteLength(prepped) <= MAX_PART_BYTES ? prepped : undefined;
}

/** Parses and normalises a JID (RFC 7622 §3.1); undefined when it is malformed. */
export function parseJid(text: string): Jid | undefined {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const at = address.indexOf('@');
  const domain = prepDomain(at === -1 ? address : address.slice(at + 1));
  const local = at === -1 ? '' : prepLocal(address.slice(0, at));
  const resource = slash === -1 ? '' : prepResource(text.slice(slash + 1));
  if (domain === undefined || local === undefined || resource === undefined) return undefined;
  return makeJid(local, domain, resource);
}

export function makeJid(local: string, domain: string, resource = ''): Jid {
  const bare = local === '' ? domain : `${local}@${domain}`;
  return { local, domain, resource, bare, full: resource === '' ? bare : `${bare}/${resource}` };
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
