import { lookup } from 'node:dns/promises';
import net from 'node:net';

/**
 * Whether a volunteer elsewhere can reach the head node at the host an invite link names: a head
 * that listens on loopback only is reachable from this machine alone, and a name that resolves
 * to none of the head's addresses leads nowhere. Returns a warning for people, or undefined.
 */
export async function inviteReachWarning(
  linkHost: string,
  bind: string,
): Promise<string | undefined> {
  const loopback = (a: string) => a === '::1' || a.startsWith('127.');
  const wildcard = bind === '0.0.0.0' || bind === '::';
  let addresses: string[];
  try {
    addresses = net.isIP(linkHost)
      ? [linkHost]
      : (await lookup(linkHost, { all: true })).map((a) => a.address);
  } catch {
    const also = loopback(bind)
      ? `; and the head listens on ${bind} only: restart it with --bind 0.0.0.0 for volunteers elsewhere`
      : '';
    return `${linkHost} does not resolve here; volunteers' machines must resolve it to this head (or pass --host ADDRESS)${also}`;
  }
  if (loopback(bind) && !addresses.every(loopback)) {
    return `the head listens on ${bind} only, so this link works on this machine alone: restart it with --bind 0.0.0.0 (or the address volunteers reach), or pass --host ${bind} for a local worker`;
  }
  if (wildcard && addresses.every(loopback)) {
    return `${linkHost} resolves to ${addresses.join(', ')} (this machine only): pass --host with a name or address volunteers can reach`;
  }
  if (!wildcard && !loopback(bind) && !addresses.includes(bind)) {
    return `${linkHost} resolves to ${addresses.join(', ')}, but the head listens on ${bind}: pass --host ${bind}`;
  }
  return undefined;
}
