// Where a connection comes from, as the limits count it: an IPv4 address as such, an IPv6
// address by its /64 (one subscriber's network: handing out addresses from it costs nothing),
// an IPv4-mapped IPv6 address as the IPv4 address it is.
import net from 'node:net';

/** The key one source's connections and login failures are counted under. */
export function addressKey(remoteAddress: string): string {
  const address = unmapped(remoteAddress);
  if (!net.isIPv6(address)) return address === '' ? 'unknown' : address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** 127.0.0.0/8 and ::1 (also IPv4-mapped): processes on this host. */
export function isLoopbackAddress(remoteAddress: string): boolean {
  const address = unmapped(remoteAddress);
  return address === '::1' || (net.isIPv4(address) && address.startsWith('127.'));
}

function unmapped(address: string): string {
  const lower = address.toLowerCase().replace(/%.*$/, ''); // no zone index
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped?.[1] ?? lower;
}

/** The eight hextets of an IPv6 address, '::' filled in. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const parts = (text: string) => (text === '' ? [] : text.split(':'));
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  const zeros = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((h) => h.replace(/^0+(?=.)/, ''));
}
