// Stanza tracing for debugging (KESTREL_XMPP_TRACE=1), one line per element on stderr.
// SASL payloads carry the password (PLAIN) or material to attack it offline (SCRAM): redacted.
import type { Client } from '@xmpp/client-core';
import { xml, type Element } from '@xmpp/xml';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
// RFC 6120 §6.4: the elements that carry SASL data (<failure> carries only a condition).
const SASL_DATA = new Set(['auth', 'challenge', 'response', 'success']);

export function traceStanzas(
  entity: Client,
  label: string,
  write: (line: string) => void = (line) => process.stderr.write(line),
): void {
  entity.on('element', (element: Element) => write(`[xmpp ${label}] IN  ${redact(element)}\n`));
  entity.on('send', (element: Element) => write(`[xmpp ${label}] OUT ${redact(element)}\n`));
  entity.on('status', (status: string) => write(`[xmpp ${label}] status ${status}\n`));
}

export function redact(element: Element): string {
  if (
    element.getNS() !== NS_SASL ||
    !SASL_DATA.has(element.name) ||
    element.children.length === 0
  ) {
    return element.toString();
  }
  return xml(element.name, element.attrs, '[redacted]').toString();
}
