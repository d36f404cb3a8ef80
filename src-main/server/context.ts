// What every session shares: the wiring done once by createXmppServer().
import type tls from 'node:tls';

import type { Logger } from '../common/log.ts';
import type { AuthThrottle } from './auth-throttle.ts';
import type { KeepAlive } from './keepalive.ts';
import type { PresenceService } from './presence.ts';
import type { RegistrationDeps } from './register.ts';
import type { SessionRegistry } from './registry.ts';
import type { Router } from './router.ts';
import type { SaslService } from './sasl.ts';
import type { ClientSession } from './session.ts';

export interface ServerCounters {
  /** Open client connections, bound or not. */
  connections: number;
  /** Stanzas received from clients. */
  stanzasIn: number;
  /** Stanzas delivered to bound sessions (routed, broadcast or answered by the server). */
  stanzasRouted: number;
  logins: number;
  authFailures: number;
  /** Login attempts refused unchecked during a lockout. */
  authLocked: number;
  /** Connections closed at accept time, over a connection limit. */
  connectionsRefused: number;
}

export interface SessionOptions {
  requireEncryption: boolean;
  /** The listener is on a loopback address: PLAIN is allowed without TLS. */
  loopback: boolean;
  maxStanzaBytes: number;
  maxQueuedBytes: number;
  maxAuthFailures: number;
}

export interface ServerContext {
  domain: string;
  log: Logger;
  options: SessionOptions;
  tlsContext: tls.SecureContext | undefined;
  sasl: SaslService;
  throttle: AuthThrottle;
  keepalive: KeepAlive;
  registry: SessionRegistry;
  router: Router;
  presence: PresenceService;
  registration: RegistrationDeps;
  counters: ServerCounters;
  sessions: Set<ClientSession>;
}
