import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/**
 * Who may talk to the head node's HTTP API. Three checks, each answering one attack:
 * - Host must name this server (127.0.0.1:PORT, localhost:PORT or the bind address): a page from
 *   another site that re-points its own DNS name at 127.0.0.1 (DNS rebinding) sends its own name.
 * - Origin, when the browser sends one, must be this server: other sites' pages cannot drive it.
 * - API calls carry `Authorization: Bearer TOKEN`, compared in constant time. Never a cookie: a
 *   browser attaches cookies to cross-site requests by itself, a header only our page sets.
 */

export type Verdict =
  { ok: true } | { ok: false; status: 401 | 403; code: string; message: string };

/** A new random token (256 bits), printed once in the URL and never written to disk. */
export const newToken = (): string => randomBytes(32).toString('base64url');

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

function hostPart(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** Every `host:port` a browser may legitimately send for a server bound to `bind`. */
export function allowedHosts(bind: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', hostPart(bind)]);
  if (WILDCARDS.has(bind)) {
    // Bound to every interface: this machine's own names and addresses, never an arbitrary one.
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) names.add(hostPart(a.address));
  }
  return new Set([...names].map((name) => `${name}:${port}`));
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant-time, whatever the lengths: hashes first, so a length difference tells nothing. */
export function sameToken(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

export function checkOrigin(headers: IncomingHttpHeaders, hosts: ReadonlySet<string>): Verdict {
  const host = headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) {
    return {
      ok: false,
      status: 403,
      code: 'forbidden',
      message: `host ${host ?? '(none)'} is not this server`,
    };
  }
  const origin = headers.origin;
  if (
    origin !== undefined &&
    !(origin.startsWith('http://') && hosts.has(origin.slice(7).toLowerCase()))
  ) {
    return {
      ok: false,
      status: 403,
      code: 'forbidden',
      message: `requests from ${origin} are not accepted`,
    };
  }
  return { ok: true };
}

export function checkToken(headers: IncomingHttpHeaders, token: string): Verdict {
  const match = /^Bearer ([A-Za-z0-9_-]{1,512})$/.exec(headers.authorization ?? '');
  if (match?.[1] !== undefined && sameToken(match[1], token)) return { ok: true };
  return {
    ok: false,
    status: 401,
    code: 'unauthorized',
    message:
      'missing or wrong access token: open the URL `kestrel head` printed (it ends in #token=…)',
  };
}
