// Kestrel's embedded XMPP server (c2s only): the composition root. It wires the stores, the
// routing table, presence, IQ handlers and the listener, and exposes the account and invite
// APIs `kestrel user …` and the head node use.
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

import { createAccountRoles, type AccountRoles, type Role } from './account-roles.ts';
import { createAccountStore, type AccountStore } from './account-store.ts';
import { createAuthThrottle } from './auth-throttle.ts';
import { loadCertificate } from './certificate.ts';
import { createConnectionLimits, type ConnectionLimits } from './connection-limits.ts';
import type { ServerContext, ServerCounters } from './context.ts';
import { openServerDatabase } from './database.ts';
import { registerDisco } from './disco.ts';
import { XmppServerError } from './errors.ts';
import { createIqHandlers } from './iq-handlers.ts';
import { createInviteStore, type Invite, type InviteOptions } from './invites.ts';
import { makeJid, prepLocal } from './jid.ts';
import { createKeepAlive } from './keepalive.ts';
import { listen, type Listener } from './listener.ts';
import { resolveOptions, type XmppServerOptions } from './options.ts';
import { createPresence } from './presence.ts';
import { registerAccountIq, type RegistrationDeps } from './register.ts';
import { createSessionRegistry } from './registry.ts';
import { createRosterStore } from './roster-store.ts';
import { registerRosterIq } from './roster-iq.ts';
import { createRouter } from './router.ts';
import { createSaslService } from './sasl.ts';
import { acceptSession } from './session.ts';

export type { XmppServerOptions } from './options.ts';

export interface XmppServerAccounts extends Omit<AccountStore, 'credentials' | 'checkNew' | 'add'> {
  /** Creates an account with its roles in the pool (default: none). */
  add(username: string, password: string, roles?: readonly Role[]): Promise<void>;
  /** Also ends the account's sessions and cancels its subscriptions with its contacts. */
  remove(username: string): boolean;
}

export interface XmppServerCounters extends ServerCounters {
  /** Bound sessions (resources) online. */
  sessions: number;
}

export interface XmppServer {
  readonly domain: string;
  start(): Promise<{ port: number }>;
  /** Closes every session with system-shutdown, then the listener and the database. Idempotent. */
  stop(): Promise<void>;
  readonly accounts: XmppServerAccounts;
  readonly invites: { create(options?: InviteOptions): Invite };
  /** What each account may do in the pool (the head node's manager reads them). */
  readonly roles: AccountRoles;
  readonly counters: Readonly<XmppServerCounters>;
  /** The certificate offered with STARTTLS (for clients to trust), once started. */
  readonly certFile: string | undefined;
}

const SHUTDOWN_GRACE_MS = 1_000;

export function createXmppServer(input: XmppServerOptions): XmppServer {
  const options = resolveOptions(input);
  const { domain, log } = options;
  const db: DatabaseSync = openServerDatabase(options.dataDir);
  const store = createAccountStore(db, { iterations: options.scramIterations });
  const roles = createAccountRoles(db);
  const invites = createInviteStore(db);
  const rosters = createRosterStore(db, log);
  const registry = createSessionRegistry();
  const accountExists = (local: string) => store.exists(local);
  const limits = {
    maxItems: options.maxRosterItems,
    maxPending: options.maxPendingSubscriptions,
  };
  const presence = createPresence({ domain, registry, rosters, accountExists, limits });
  const iq = createIqHandlers((error) => log.error('IQ handler failed', { error: String(error) }));
  const counters: ServerCounters = {
    connections: 0,
    stanzasIn: 0,
    stanzasRouted: 0,
    logins: 0,
    authFailures: 0,
    authLocked: 0,
    connectionsRefused: 0,
  };

  function removeAccount(name: string): boolean {
    const username = prepLocal(name);
    if (username === undefined || !store.exists(username)) return false;
    const user = makeJid(username, domain);
    for (const session of [...registry.resources(user.bare)]) {
      session.close('not-authorized', 'Account removed');
    }
    // RFC 6121 §2.5.2 for every contact, as if the user had removed them one by one.
    const roster = rosters.load(username);
    for (const [contact, item] of roster.items) {
      presence.subscriptions.itemRemoved(user, contact, item, roster.pending.delete(contact));
    }
    for (const contact of roster.pending.keys()) {
      presence.subscriptions.itemRemoved(
        user,
        contact,
        { subscription: 'none', ask: false, name: undefined, groups: [] },
        true,
      );
    }
    rosters.forget(username);
    return store.remove(username);
  }

  const registration: RegistrationDeps = { accounts: store, roles, invites, removeAccount };
  registerDisco({ iq, rosters, maxStanzaBytes: options.maxStanzaBytes });
  registerRosterIq({
    iq,
    registry,
    rosters,
    subscriptions: presence.subscriptions,
    maxItems: limits.maxItems,
  });
  registerAccountIq(iq, registration);

  const sessions: ServerContext['sessions'] = new Set();
  let listener: Listener | undefined;
  const admission: ConnectionLimits = createConnectionLimits({
    maxPerAddress: options.maxConnectionsPerAddress,
    maxLoopback: options.maxLoopbackConnections,
    maxUnauthenticated: options.maxUnauthenticatedConnections,
    loopbackIsLocal: options.loopbackIsLocal,
    log,
  });
  let certFile: string | undefined;
  let stopping: Promise<void> | undefined;
  const keepalive = createKeepAlive({
    intervalMs: options.pingIntervalMs,
    timeoutMs: options.pingTimeoutMs,
    loginTimeoutMs: options.loginTimeoutMs,
  });

  async function start(): Promise<{ port: number }> {
    if (stopping) throw new XmppServerError('stopped', 'the server was stopped');
    if (listener) return { port: listener.port };
    const certificate =
      options.tls === false
        ? undefined
        : loadCertificate(domain, join(options.dataDir, 'tls'), options.tls);
    if (certificate?.generated)
      log.info('generated a self-signed certificate', { file: certificate.certFile });
    certFile = certificate?.certFile;
    const ctx: ServerContext = {
      domain,
      log,
      options: {
        requireEncryption: options.requireEncryption,
        loopback: options.loopback,
        maxStanzaBytes: options.maxStanzaBytes,
        maxQueuedBytes: options.maxQueuedBytes,
        maxAuthFailures: options.maxAuthFailures,
      },
      tlsContext: certificate?.context,
      sasl: createSaslService(store, domain),
      throttle: createAuthThrottle({
        stepMs: options.authFailureDelayMs,
        freeFailures: options.authFreeFailures,
        lockoutMs: options.authLockoutMs,
        maxLockoutMs: options.authMaxLockoutMs,
        maxAccountLockoutMs: options.authMaxAccountLockoutMs,
        log,
      }),
      keepalive,
      registry,
      router: createRouter({ domain, registry, presence, iq, accountExists }),
      presence,
      registration,
      counters,
      sessions,
    };
    listener = await listen(options.host, options.port, (socket) => {
      const slot = admission.admit(socket.remoteAddress ?? '');
      if (slot === undefined) {
        // Refused at accept time: closed before a byte is read or a session is made.
        counters.connectionsRefused++;
        socket.destroy();
        return;
      }
      acceptSession(socket, ctx, slot);
    });
    log.info('listening', { host: options.host, port: listener.port, domain });
    return { port: listener.port };
  }

  async function stop(): Promise<void> {
    // RFC 6120 §4.9.3.23: every stream ends with system-shutdown; cleanup runs step by step
    // even when one fails.
    const errors: unknown[] = [];
    const closing = listener?.close(SHUTDOWN_GRACE_MS);
    for (const session of [...sessions]) {
      try {
        session.close('system-shutdown', 'The server is shutting down');
      } catch (error) {
        errors.push(error);
      }
    }
    keepalive.stop();
    admission.close();
    await closing?.catch((error: unknown) => errors.push(error));
    for (const step of [() => rosters.flush(), () => db.close()]) {
      try {
        step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) log.error('errors while stopping', { errors: errors.map(String) });
  }

  const accounts: XmppServerAccounts = {
    async add(username, password, granted = []) {
      await store.add(username, password);
      if (granted.length > 0) roles.set(prepLocal(username) ?? username, granted);
    },
    remove: removeAccount,
    list: () => store.list(),
    setPassword: (username, password) => store.setPassword(username, password),
    verify: (username, password) => store.verify(username, password),
    exists: (username) => store.exists(username),
  };

  return {
    domain,
    start,
    stop() {
      stopping ??= stop();
      return stopping;
    },
    accounts,
    invites: { create: (inviteOptions) => invites.create(inviteOptions) },
    roles,
    get counters() {
      return { ...counters, sessions: registry.size };
    },
    get certFile() {
      return certFile;
    },
  };
}
