// The one XMPP connection wrapper every part of Kestrel uses (manager, worker, CLI): login,
// presence, JSON chat messages, pings, subscriptions, and reconnecting by itself. Raw XML stays
// in src-main/xmpp; callers see plain strings and objects.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

import { xml, type Element } from '@xmpp/xml';

import { createXmppClient, destroySocket, startEntity, type XmppClient } from './client.ts';
import { XmppError, isStreamError, toLoginError } from './errors.ts';
import { createRoster, type Roster } from './roster.ts';
import { bareJid } from '../common/jid.ts';
import { parseMessage, parsePresence } from './stanzas.ts';

export type PresenceShow = 'away' | 'chat' | 'dnd' | 'xa';

/**
 * What a manager says of itself in its presence (docs/PROTOCOL.md, "Active and standby
 * managers"): the active one its fencing epoch, a standby that it waits. Carried in an element of
 * Kestrel's namespace, which other clients ignore (RFC 6120 §8.4: unknown children are ignored).
 */
export type ManagerPresence = { role: 'active'; epoch: number } | { role: 'standby' };

export interface PresenceOptions {
  /** RFC 6121 §4.7.2.3, −128 to 127: a negative priority gets no messages sent to the bare JID. */
  priority?: number;
  manager?: ManagerPresence;
}

export interface ConnectionOptions {
  /**
   * e.g. 'xmpp://127.0.0.1:5222', or the addresses of several nodes of one clustered server:
   * the first that answers is used, and after a lost connection the next one is tried first.
   */
  service: string | readonly string[];
  domain: string;
  username: string;
  password: string;
  /** Resource to bind; the server picks one when omitted. */
  resource?: string;
  /** Whether to approve a presence subscription request from this bare JID; default: refuse all. */
  acceptSubscription?: (bareJid: string) => boolean;
  /** Reconnect with backoff when the connection drops after a successful start; default true. */
  reconnect?: boolean;
  /** A PEM certificate to trust besides the system's (a head node's self-signed one). */
  ca?: string;
  /** SHA-256 fingerprint of the only server certificate to accept (from an invite). */
  pin?: string;
  /** Allow an unencrypted connection to a server elsewhere (see XmppClientOptions). */
  allowPlaintext?: boolean;
  /**
   * First wait before logging in again after another login took over our full JID (RFC 6120
   * §4.9.3.3 conflict); doubles with each takeover in a row, up to 10 minutes. Default 30 000 ms.
   */
  replacedBackoffMs?: number;
  /** How long to wait for the server to open or to close a stream; default 5000 ms. */
  streamTimeoutMs?: number;
}

export interface PresenceEvent {
  from: string;
  available: boolean;
  show?: PresenceShow;
  /** Present when the sender is a Kestrel manager that says which it is. */
  manager?: ManagerPresence;
}

/** Why the connection went offline, and how long an automatic reconnect took. */
export interface OfflineEvent {
  reason: string;
}
export interface OnlineEvent {
  /** False for the login start() made; true after an automatic reconnect. */
  reconnected: boolean;
  /** Milliseconds since the connection was lost (0 for the first login). */
  downMs: number;
  /** Login attempts it took, this one included. */
  attempts: number;
}

export interface ConnectionEvents {
  message: [{ from: string; body: string }];
  /** A message we sent bounced; `id` is the one sendJson/sendText resolved with. */
  message_error: [{ from: string; condition: string; id?: string }];
  presence: [PresenceEvent];
  /** After start() and after every automatic reconnect. */
  online: [OnlineEvent];
  /** The connection was lost, or stop() was called while online. */
  offline: [OfflineEvent];
  /** Background failures (always XmppError); without a listener they are printed to stderr. */
  error: [XmppError];
}

export interface XmppConnection extends EventEmitter<ConnectionEvents> {
  /** The bound full JID, once online. */
  readonly jid: string | undefined;
  /** Logged in with presence sent, now (until the next `offline`). */
  readonly online: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves with the message's stanza id once it is handed to the socket. */
  sendJson(to: string, message: object): Promise<string>;
  sendText(to: string, text: string): Promise<string>;
  setPresence(show?: PresenceShow, status?: string, options?: PresenceOptions): Promise<void>;
  subscribe(bareJid: string): Promise<void>;
  ping(to: string, timeoutMs: number): Promise<boolean>;
}

const NS_PING = 'urn:xmpp:ping';
export const NS_KESTREL_MANAGER = 'urn:kestrel:manager:1';
const LOGIN_TIMEOUT_MS = 15_000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 5_000;
const REPLACED_BACKOFF_MAX_MS = 600_000;
/** A takeover this long after the previous one starts the replaced backoff afresh. */
const REPLACED_FORGET_MS = 600_000;

type State = 'new' | 'starting' | 'online' | 'offline' | 'stopped';

export function createConnection(options: ConnectionOptions): XmppConnection {
  return new Connection(options);
}

class Connection extends EventEmitter<ConnectionEvents> implements XmppConnection {
  readonly #options: ConnectionOptions;
  readonly #client: XmppClient;
  readonly #roster: Roster;
  #state: State = 'new';
  #jid: string | undefined;
  #presence: { show?: PresenceShow; status?: string } & PresenceOptions = {};
  /** Every address of the server, and the one the next login uses. */
  readonly #services: readonly string[];
  #serviceIndex = 0;
  #backoffMs = BACKOFF_MIN_MS;
  /** Counts lost connections, so work begun on an earlier one cannot act on a later one. */
  #generation = 0;
  /** When the connection was last lost, and login attempts since (the reconnect timeline). */
  #lostAt = 0;
  #attempts = 0;
  /** Why the stream is ending, when the server said so (a stream error) before it closed. */
  #endReason: string | undefined;
  /** Takeovers of our full JID in a row, and when the last one happened. */
  #replaced = { count: 0, at: 0 };
  #loginTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  /**
   * Messages and presence that arrive while logging in (the server answers our initial presence
   * with our contacts' before it answers the ping that ends the login): handed on once online,
   * when listeners can answer them. A worker that heard its manager then could not send its
   * profile, and waited for tasks that never came.
   */
  #early: (() => void)[] = [];

  constructor(options: ConnectionOptions) {
    super();
    this.#options = options;
    const services = typeof options.service === 'string' ? [options.service] : options.service;
    const [service, ...fallbacks] = services;
    if (service === undefined) throw new XmppError('connect_failed', 'no server address given');
    this.#services = services;
    this.#client = createXmppClient({
      ...options,
      service,
      fallbacks,
      timeout: options.streamTimeoutMs,
    });
    const { entity, middleware, iqCaller, iqCallee } = this.#client;
    this.#roster = createRoster({
      iqCaller,
      iqCallee,
      ownBareJid: () => entity.jid?.bare().toString(),
    });

    entity.on('error', (error: unknown) => this.#onEntityError(error));
    entity.on('connecting', () => {
      this.#attempts++;
      if (this.#state === 'offline') this.#armLoginTimer(); // start() times its own login
    });
    entity.on('online', () => this.#onEntityOnline());
    entity.on('disconnect', () => this.#onDisconnect());
    middleware.use((ctx, next) => {
      this.#onStanza(ctx.stanza);
      return next();
    });
  }

  // A getter, so TypeScript does not narrow #state across the awaits where stop() may run.
  get #stopped(): boolean {
    return this.#state === 'stopped';
  }

  get jid(): string | undefined {
    return this.#jid;
  }

  get online(): boolean {
    return this.#state === 'online';
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new XmppError('stopped', `cannot start: ${this.#state}`);
    this.#state = 'starting';
    const { entity, reconnect } = this.#client;
    // Each address in turn: a node of a cluster that is down must not keep the client out.
    for (let tried = 1; ; tried++) {
      try {
        await startEntity(entity, LOGIN_TIMEOUT_MS);
        await this.#establish(this.#generation);
        break;
      } catch (error) {
        destroySocket(entity);
        await entity.stop();
        if (this.#stopped) throw new XmppError('stopped', 'stopped during start');
        const login = toLoginError(error);
        // Wrong credentials or TLS are the same on every node: only unreachable ones move on.
        if (tried >= this.#services.length || login.code !== 'connect_failed') {
          this.#state = 'new';
          this.#useService(0);
          throw login;
        }
        this.#useService(this.#serviceIndex + 1);
      }
    }
    if (this.#stopped) throw new XmppError('stopped', 'stopped during start');
    if (this.#options.reconnect !== false) reconnect.start();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const wasOnline = this.#state === 'online';
    this.#state = 'stopped';
    this.#client.reconnect.stop();
    this.#clearLoginTimer();
    const { entity } = this.#client;
    // RFC 6121 §4.5.1: say goodbye, then close the stream (RFC 6120 §4.4). A login still in
    // progress is simply dropped: its socket may not even be connected yet.
    if (wasOnline) {
      // Best effort: if the socket just died the server broadcasts unavailable for us anyway.
      await entity.send(xml('presence', { type: 'unavailable' })).catch(() => undefined);
    } else {
      destroySocket(entity);
    }
    if (entity.status !== 'offline') await entity.stop();
    if (wasOnline) this.emit('offline', { reason: 'stopped' });
  }

  sendJson(to: string, message: object): Promise<string> {
    return this.sendText(to, JSON.stringify(message));
  }

  async sendText(to: string, text: string): Promise<string> {
    const id = randomUUID();
    await this.#send(xml('message', { type: 'chat', to, id }, xml('body', {}, text)));
    return id;
  }

  async setPresence(
    show?: PresenceShow,
    status?: string,
    options?: PresenceOptions,
  ): Promise<void> {
    this.#presence = { show, status, ...options };
    // Kept for the next login when offline: presence is state, not a message.
    if (this.#state === 'online') await this.#client.entity.send(this.#presenceStanza());
  }

  subscribe(bareJid: string): Promise<void> {
    // RFC 6121 §3.1.1: the server stamps the request and tracks it in our roster (ask).
    return this.#send(xml('presence', { type: 'subscribe', to: bareJid }));
  }

  async ping(to: string, timeoutMs: number): Promise<boolean> {
    if (this.#state !== 'online') return false;
    const iq = xml('iq', { type: 'get', to }, xml('ping', { xmlns: NS_PING }));
    // XEP-0199 §4.4: any reply proves liveness, but an error reply for a client's full JID
    // comes from its server (service-unavailable: no such resource), so only a result counts.
    return this.#client.iqCaller.request(iq, timeoutMs).then(
      () => true,
      () => false,
    );
  }

  #send(element: Element): Promise<void> {
    if (this.#state !== 'online') {
      return Promise.reject(new XmppError('not_online', `not online (${this.#state})`));
    }
    return this.#client.entity.send(element);
  }

  /**
   * Roster, then initial presence (RFC 6121 §2.2, §4.2), then a ping to our own server: a server
   * handles one stream's stanzas in order, so its answer means it has taken our presence, and
   * messages to our bare JID reach us from then on. Without that barrier "online" came a moment
   * too early: a user who sent a job the instant the manager said it was online got it bounced
   * (service-unavailable from Prosody, which had not yet seen the manager's presence).
   */
  async #establish(generation: number): Promise<void> {
    const { entity, iqCaller } = this.#client;
    this.#clearLoginTimer();
    this.#jid = entity.jid?.toString();
    await this.#roster.load(LOGIN_TIMEOUT_MS);
    await entity.send(this.#presenceStanza());
    if (this.#stopped) return;
    if (generation !== this.#generation) {
      throw new XmppError('connect_failed', 'connection lost during login');
    }
    // We may send from here on: peers that see our presence answer at once (a manager's
    // presence makes a worker send its profile), and the stream keeps everything in order.
    this.#state = 'online';
    // Any answer will do (an error too: a server without XEP-0199 still answers in order).
    const ping = xml(
      'iq',
      { type: 'get', to: this.#options.domain },
      xml('ping', { xmlns: NS_PING }),
    );
    await iqCaller.request(ping, LOGIN_TIMEOUT_MS).catch(() => undefined);
    if (this.#stopped) return;
    if (generation !== this.#generation) {
      throw new XmppError('connect_failed', 'connection lost during login');
    }
    this.#backoffMs = BACKOFF_MIN_MS;
    const early = this.#early.splice(0);
    const reconnected = this.#lostAt > 0;
    const event = {
      reconnected,
      downMs: reconnected ? Date.now() - this.#lostAt : 0,
      attempts: this.#attempts,
    };
    this.#attempts = 0;
    this.emit('online', event);
    for (const emit of early) emit();
  }

  #onEntityOnline(): void {
    if (this.#state !== 'offline') return; // start() establishes the first login itself
    const generation = this.#generation;
    this.#establish(generation).catch((error: unknown) => {
      // A roster request can outlive its connection: never drop a newer one for it.
      if (generation !== this.#generation) return;
      this.#report(toLoginError(error));
      destroySocket(this.#client.entity);
    });
  }

  #onDisconnect(): void {
    this.#generation++;
    this.#early = [];
    this.#clearLoginTimer();
    const reason = this.#endReason ?? 'the connection closed';
    this.#endReason = undefined;
    if (this.#state === 'online') {
      this.#state = 'offline';
      this.#lostAt = Date.now();
      this.emit('offline', { reason });
    }
    if (this.#state !== 'offline') return;
    // Runs before @xmpp/reconnect's own listener, which schedules with this delay. Jitter keeps
    // a pool of workers from reconnecting in lockstep after a server restart.
    this.#client.reconnect.delay = Math.round(this.#backoffMs * (0.75 + Math.random() * 0.5));
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
    // The node we were on may be the one that died: the next login goes to the next address.
    this.#useService(this.#serviceIndex + 1);
  }

  /** @xmpp/reconnect connects to `entity.options.service` afresh at every attempt. */
  #useService(index: number): void {
    this.#serviceIndex = index % this.#services.length;
    this.#client.entity.options.service = this.#services[this.#serviceIndex] ?? '';
  }

  /**
   * Another login took over our full JID. Logging in again at once would take it back and the
   * two would throw each other out in a loop; never logging in again would let whoever holds
   * the password (a second copy started by mistake, or someone who stole it) switch this worker
   * off for good. So: wait, longer with each takeover in a row, then log in again.
   */
  #onReplaced(): void {
    const now = Date.now();
    if (now - this.#replaced.at > REPLACED_FORGET_MS) this.#replaced.count = 0;
    this.#replaced = { count: this.#replaced.count + 1, at: now };
    const first = this.#options.replacedBackoffMs ?? 30_000;
    const waitMs = Math.min(first * 2 ** (this.#replaced.count - 1), REPLACED_BACKOFF_MAX_MS);
    this.#backoffMs = waitMs;
    this.#endReason ??= 'another login took over this resource';
    this.#report(
      new XmppError(
        'replaced',
        `another login took over this resource; logging in again in ${Math.round(waitMs / 1000)} s`,
      ),
    );
  }

  #onEntityError(error: unknown): void {
    if (this.#state === 'starting' || this.#state === 'stopped') return; // start() reports these
    if (isStreamError(error, 'conflict')) {
      this.#onReplaced(); // emitted before the stream closes: the reconnect uses its backoff
      return;
    }
    if (this.#state === 'offline') {
      // A failed re-login leaves the stream open: drop it so the next attempt gets scheduled.
      this.#report(toLoginError(error));
      destroySocket(this.#client.entity);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.#endReason ??= `stream error: ${message}`; // the first cause, not the socket errors after it
    this.#report(new XmppError('stream_error', message, { cause: error }));
  }

  #armLoginTimer(): void {
    this.#clearLoginTimer();
    this.#loginTimer = setTimeout(() => {
      this.#report(new XmppError('connect_failed', `login stalled for ${LOGIN_TIMEOUT_MS} ms`));
      destroySocket(this.#client.entity);
    }, LOGIN_TIMEOUT_MS);
  }

  #clearLoginTimer(): void {
    clearTimeout(this.#loginTimer);
    this.#loginTimer = undefined;
  }

  #onStanza(stanza: Element): void {
    const { domain } = this.#options;
    const later = (emit: () => void) =>
      this.#state === 'online' ? emit() : this.#early.push(emit);
    const message = parseMessage(stanza, domain);
    if (message?.kind === 'error') later(() => this.emit('message_error', message.event));
    else if (message?.kind === 'body' && message.event.from !== this.#jid) {
      later(() => this.emit('message', message.event));
    }
    const presence = parsePresence(stanza, domain);
    if (presence?.kind === 'subscribe') this.#onSubscribe(bareJid(presence.from));
    else if (presence?.kind === 'status' && presence.event.from !== this.#jid) {
      later(() => this.emit('presence', presence.event));
    }
  }

  /** RFC 6121 §3.1.3–3.1.4: approve (and subscribe back, for a mutual subscription) or deny. */
  #onSubscribe(contact: string): void {
    const { entity } = this.#client;
    const accept = this.#options.acceptSubscription?.(contact) ?? false;
    const replies = [
      xml('presence', { to: contact, type: accept ? 'subscribed' : 'unsubscribed' }),
    ];
    if (accept && !this.#roster.isSubscribedTo(contact)) {
      replies.push(xml('presence', { to: contact, type: 'subscribe' }));
    }
    for (const reply of replies) {
      entity.send(reply).catch((error: unknown) => this.#onEntityError(error));
    }
  }

  #presenceStanza(): Element {
    const { show, status, priority, manager } = this.#presence;
    return xml(
      'presence',
      {},
      show && xml('show', {}, show),
      status && xml('status', {}, status),
      priority !== undefined && xml('priority', {}, String(priority)),
      manager &&
        xml('manager', {
          xmlns: NS_KESTREL_MANAGER,
          role: manager.role,
          ...(manager.role === 'active' ? { epoch: String(manager.epoch) } : {}),
        }),
    );
  }

  #report(error: XmppError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.stderr.write(`kestrel xmpp: ${error.code}: ${error.message}\n`);
  }
}
