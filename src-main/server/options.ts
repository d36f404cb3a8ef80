// createXmppServer() options: typed, documented with their defaults, validated up front.
import net from 'node:net';

import { silentLogger, type Logger } from '../common/log.ts';
import type { TlsFiles } from './certificate.ts';
import { DEFAULT_ITERATIONS, MIN_ITERATIONS } from './credentials.ts';
import { XmppServerError } from './errors.ts';
import { prepDomain } from './jid.ts';

export interface XmppServerOptions {
  /** The XMPP domain served, e.g. 'pool.example.org' (accounts are user@domain). */
  domain: string;
  /** Address to listen on; default '127.0.0.1'. */
  host?: string;
  /** TCP port; default 5222, 0 for any free port (start() tells which). */
  port?: number;
  /** Where the database (accounts, rosters, invites) and a generated certificate live. */
  dataDir: string;
  /**
   * STARTTLS certificate: the operator's PEM files, or by default a self-signed one generated
   * in `dataDir/tls` on first run; false offers no STARTTLS at all.
   */
  tls?: TlsFiles | false;
  /** Refuse login before STARTTLS; default true unless `host` is a loopback address. */
  requireEncryption?: boolean;
  /** Ping a client silent for this long (XEP-0199); default 30 000 ms. */
  pingIntervalMs?: number;
  /** Drop it if nothing arrives this long after the ping; default 10 000 ms. */
  pingTimeoutMs?: number;
  /** Longest time from connection to bound resource; default 60 000 ms. */
  loginTimeoutMs?: number;
  /** Largest stanza accepted (policy-violation beyond); default 256 KiB. */
  maxStanzaBytes?: number;
  /** Output queued for a client that does not read before it is cut off; default 8 MiB. */
  maxQueuedBytes?: number;
  /** Failed or refused logins per stream before it is closed; default 3. */
  maxAuthFailures?: number;
  /**
   * Delay of a login's verdict per recent failure of that account from that address, given to
   * success and failure alike; default 100 ms (capped at 3 s).
   */
  authFailureDelayMs?: number;
  /**
   * Failed logins of one account from one address before it is locked out there; default 5.
   * The account from anywhere, and the address against any account, lock after 4× as many.
   */
  authFreeFailures?: number;
  /** The first lockout, doubled by each further failure; default 1 000 ms. */
  authLockoutMs?: number;
  /** Longest lockout of an account from one address, and of an address; default 15 min. */
  authMaxLockoutMs?: number;
  /** Longest lockout of an account from everywhere (anyone can cause it); default 60 s. */
  authMaxAccountLockoutMs?: number;
  /**
   * Roster items without a subscription (contacts added by roster set, unanswered requests)
   * one account may hold (RFC 6121 §2); default 10 000. Mutual subscriptions do not count.
   */
  maxRosterItems?: number;
  /** Subscription requests waiting for one account's answer (RFC 6121 §3.1.3); default 1 000. */
  maxPendingSubscriptions?: number;
  /** Open connections from one non-loopback source address (an IPv6 /64); default 64. */
  maxConnectionsPerAddress?: number;
  /** Open connections from loopback sources together (see loopbackIsLocal); default no cap. */
  maxLoopbackConnections?: number;
  /** Connections from non-loopback sources that have not bound a resource; default 1 000. */
  maxUnauthenticatedConnections?: number;
  /**
   * Loopback sources are this host's own processes (manager, local workers): they share
   * maxLoopbackConnections and skip maxUnauthenticatedConnections. Default true; set false
   * behind a proxy on this host, where remote clients come from 127.0.0.1.
   */
  loopbackIsLocal?: boolean;
  /** PBKDF2 iterations for new passwords; default 10 000, at least 4096. */
  scramIterations?: number;
  log?: Logger;
}

export type ResolvedOptions = Required<Omit<XmppServerOptions, 'tls'>> & {
  tls: TlsFiles | false | undefined;
  loopback: boolean;
};

export function resolveOptions(options: XmppServerOptions): ResolvedOptions {
  const domain = prepDomain(options.domain ?? '');
  if (domain === undefined || domain !== options.domain.toLowerCase()) {
    throw invalid(`domain: not a valid domain name: ${JSON.stringify(options.domain)}`);
  }
  if (typeof options.dataDir !== 'string' || options.dataDir === '')
    throw invalid('dataDir is required');
  const host = options.host ?? '127.0.0.1';
  if (net.isIP(host) === 0 && host !== 'localhost')
    throw invalid(`host: not an IP address: ${host}`);
  const loopback = isLoopbackHost(host);
  const resolved: ResolvedOptions = {
    domain,
    host,
    port: options.port ?? 5222,
    dataDir: options.dataDir,
    tls: options.tls,
    requireEncryption: options.requireEncryption ?? !loopback,
    pingIntervalMs: options.pingIntervalMs ?? 30_000,
    pingTimeoutMs: options.pingTimeoutMs ?? 10_000,
    loginTimeoutMs: options.loginTimeoutMs ?? 60_000,
    maxStanzaBytes: options.maxStanzaBytes ?? 256 * 1024,
    maxQueuedBytes: options.maxQueuedBytes ?? 8 * 1024 * 1024,
    maxAuthFailures: options.maxAuthFailures ?? 3,
    authFailureDelayMs: options.authFailureDelayMs ?? 100,
    authFreeFailures: options.authFreeFailures ?? 5,
    authLockoutMs: options.authLockoutMs ?? 1_000,
    authMaxLockoutMs: options.authMaxLockoutMs ?? 15 * 60_000,
    authMaxAccountLockoutMs: options.authMaxAccountLockoutMs ?? 60_000,
    maxRosterItems: options.maxRosterItems ?? 10_000,
    maxPendingSubscriptions: options.maxPendingSubscriptions ?? 1_000,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 64,
    maxLoopbackConnections: options.maxLoopbackConnections ?? Number.POSITIVE_INFINITY,
    maxUnauthenticatedConnections: options.maxUnauthenticatedConnections ?? 1_000,
    loopbackIsLocal: options.loopbackIsLocal ?? true,
    scramIterations: options.scramIterations ?? DEFAULT_ITERATIONS,
    log: options.log ?? silentLogger,
    loopback,
  };
  const { port } = resolved;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`port: ${port}`);
  for (const key of [
    'pingIntervalMs',
    'pingTimeoutMs',
    'loginTimeoutMs',
    'maxStanzaBytes',
    'maxQueuedBytes',
    'maxAuthFailures',
    'authFreeFailures',
    'authLockoutMs',
    'authMaxLockoutMs',
    'authMaxAccountLockoutMs',
    'maxRosterItems',
    'maxPendingSubscriptions',
  ] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] <= 0)
      throw invalid(`${key} must be positive`);
  }
  if (resolved.maxStanzaBytes < 10_000)
    throw invalid('maxStanzaBytes below 10 000 (RFC 6120 §13.12)');
  if (!(resolved.authFailureDelayMs >= 0)) throw invalid('authFailureDelayMs must not be negative');
  for (const key of [
    'authFreeFailures',
    'maxRosterItems',
    'maxPendingSubscriptions',
    'maxConnectionsPerAddress',
    'maxUnauthenticatedConnections',
  ] as const) {
    if (!Number.isInteger(resolved[key])) throw invalid(`${key} must be a whole number`);
  }
  const loopbackCap = resolved.maxLoopbackConnections;
  if (!(loopbackCap >= 1) || (loopbackCap !== Infinity && !Number.isInteger(loopbackCap))) {
    throw invalid('maxLoopbackConnections must be a whole number ≥ 1 (or Infinity)');
  }
  if (!Number.isInteger(resolved.scramIterations) || resolved.scramIterations < MIN_ITERATIONS) {
    throw invalid(`scramIterations must be an integer ≥ ${MIN_ITERATIONS}`);
  }
  if (resolved.requireEncryption && resolved.tls === false) {
    throw invalid('requireEncryption needs TLS: do not set tls to false');
  }
  return resolved;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));
}

function invalid(message: string): XmppServerError {
  return new XmppServerError('invalid_options', message);
}
