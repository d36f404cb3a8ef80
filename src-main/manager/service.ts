import { encodeMessage, plainText, type Message } from '../../shared/protocol/index.ts';
import type { Logger } from '../common/log.ts';
import type { PresenceEvent, XmppConnection } from '../xmpp/connection.ts';
import type { AccessPolicy } from './access.ts';
import { createScheduler } from './core/scheduler.ts';
import { createFinishNotices } from './finish-notices.ts';
import type { UserLimits } from './limits.ts';
import { createManagerApi, type ManagerApi } from './manager-api.ts';
import { createOpsCommands } from './ops-commands.ts';
import { createOutbox, type Outgoing } from './outbox.ts';
import { observeScheduler } from './read/activity.ts';
import { createChangeFeed } from './read/change-feed.ts';
import { createReadModel } from './read/read-model.ts';
import { createPingRounds } from './ping-rounds.ts';
import { readSnapshot, restoreScheduler } from './restore.ts';
import { isDeposed, StoreError, type ManagerStore } from './store.ts';
import { createUserCommands } from './user-commands.ts';
import { createWorkerInbox } from './worker-inbox.ts';
import type { WorkerRateLimits } from './worker-rate.ts';

/**
 * The manager process: XMPP in, scheduler in the middle, store and XMPP out. On a shared store
 * (PostgreSQL) it runs only once this manager won the election (standby.ts); from then on it
 * acts only while it holds the lock, and stops at the first sign that another took over.
 */

export interface ManagerServiceOptions {
  connection: XmppConnection;
  store: ManagerStore;
  access: AccessPolicy;
  log: Logger;
  now?: () => number;
  /** How often workers holding tasks are pinged (XEP-0199). */
  pingIntervalMs?: number;
  /** A worker that does not answer a ping within this is treated as gone. */
  pingTimeoutMs?: number;
  /** How long to wait for workers to report after a restart or reconnect. */
  restoreGraceMs?: number;
  /** Jobs and tasks one user may have open (default DEFAULT_USER_LIMITS). */
  limits?: UserLimits;
  /** Worker traffic per worker JID (default DEFAULT_WORKER_RATE). */
  workerRate?: WorkerRateLimits;
  /**
   * A standby that took over: the presence it saw while it waited (its connection is online
   * already), taken once the store is read, so none is missed or seen twice.
   */
  takePresence?: () => PresenceEvent[];
  /**
   * Another manager took over (the store refused a write, or the lock went): this one must stop
   * at once. Default: the error is thrown, which ends the process.
   */
  deposed?: (error: StoreError) => void;
}

export interface ManagerService {
  /** Queries, commands and change events for the renderer API (jobs, pool). */
  readonly api: ManagerApi;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createManagerService(options: ManagerServiceOptions): ManagerService {
  const { connection, store, access, log } = options;
  const now = options.now ?? Date.now;
  const pingIntervalMs = options.pingIntervalMs ?? 10_000;
  const pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
  const { scheduler, activity } = observeScheduler(
    createScheduler({ now, restoreGraceMs: options.restoreGraceMs }),
    now,
  );
  const timers: NodeJS.Timeout[] = [];
  let online = false;
  let stopped = false;
  const { election } = store;
  let gone = false;

  /** Stops acting at once: nothing is handled or stored after the first sign of a takeover. */
  function depose(error: StoreError): void {
    if (gone || stopped) return;
    gone = true;
    for (const t of timers) clearInterval(t);
    log.error('no longer the active manager; stopping', { reason: error.message });
    if (options.deposed) options.deposed(error);
    else
      setImmediate(() => {
        throw error;
      });
  }
  election?.onLost(depose);

  /** Whether to act on an event: never once deposed, nor when the lock may have gone unseen. */
  function acting(): boolean {
    if (gone) return false;
    if (election !== undefined && !election.holds()) {
      election.lose(new StoreError('lock_lost', 'the lock was not confirmed in time'));
      return false;
    }
    return true;
  }

  function storeFailed(error: unknown): void {
    if (isDeposed(error)) return depose(error);
    // On a shared store a write that failed (PostgreSQL restarting or out of reach) leaves this
    // manager unable to show it is still the active one: it stops, as when its lock goes, and a
    // manager that can reach the store takes over.
    if (election !== undefined) {
      const why = `a write to the store failed: ${String(error)}`;
      return depose(new StoreError('lock_lost', why, { cause: error }));
    }
    setImmediate(() => {
      throw error;
    });
  }

  const notices = createFinishNotices({
    store,
    send: (to, message) => connection.sendText(to, encodeMessage(message)),
    log,
    now,
    deposed: storeFailed,
  });

  function send(out: Outgoing): void {
    connection
      .sendText(out.to, out.body)
      .catch((error: unknown) => log.warn('send failed', { to: out.to, error: String(error) }));
  }

  /**
   * Every reply goes through the size-aware encoder: a body the server would refuse makes it drop
   * the manager's own connection, and every user with it. Replies are built to fit; one that
   * still does not is logged and answered with `internal` instead.
   */
  function sendMessage(to: string, message: Message): void {
    let body: string;
    try {
      body = encodeMessage(message);
    } catch (error) {
      log.error('reply too large; not sent', { to, type: message.type, error: String(error) });
      const reason = 'internal error: the reply was too large; the manager logged it';
      body = encodeMessage({ type: 'error', code: 'internal', reason });
    }
    send({ to, body });
  }

  const outbox = createOutbox(store, send, (job) => notices.finished(job), {
    failed: storeFailed,
  });
  const read = createReadModel({ scheduler, store, activity, now });
  const feed = createChangeFeed({ activity, read, now });
  const api = createManagerApi({
    scheduler,
    store,
    access,
    outbox,
    now,
    read,
    feed,
    limits: options.limits,
  });
  const users = createUserCommands({
    scheduler,
    store,
    access,
    now,
    // Plain text for people who typed plain text (help, errors); bounded by MAX_REASON and help.
    reply: (to, message, asText) =>
      asText ? send({ to, body: plainText(message) }) : sendMessage(to, message),
    outbox,
    limits: options.limits,
    ops: createOpsCommands(api, scheduler),
  });
  const workers = createWorkerInbox({
    scheduler,
    access,
    log,
    outbox,
    reply: sendMessage,
    now,
    rate: options.workerRate,
  });

  function onPresence({ from, available, show }: PresenceEvent): void {
    if (from === connection.jid || !acting()) return;
    // Submitters who share their presence with the manager (an IM contact) get waiting notices
    // as soon as they are back.
    if (available) notices.heardFrom(from);
    if (!access.isWorker(from)) return;
    const actions = scheduler.presence(from, available, show);
    const requeued = actions.filter((a) => a.kind === 'requeue').length;
    if (requeued > 0) log.info(`worker went offline; requeued ${requeued} tasks`, { worker: from });
    void outbox.push(actions);
  }

  function internalError(from: string, error: unknown): void {
    if (isDeposed(error)) return depose(error);
    log.error('message handling failed', { from, error: String(error) });
    sendMessage(from, {
      type: 'error',
      code: 'internal',
      reason: 'internal error; the manager logged it',
    });
  }

  /** Attached once the scheduler is restored: no event reaches a half-built one. */
  function listen(): void {
    // A job_finished that bounced goes to its submitter when they next speak or come online.
    connection.on('message_error', ({ from, condition, id }) => {
      if (notices.bounced(id, from)) {
        log.info('job_finished bounced; kept until the submitter is back', {
          to: from,
          condition,
        });
      }
    });

    connection.on('message', ({ from, body }) => {
      if (!acting()) return;
      notices.heardFrom(from);
      try {
        if (!workers.handle(from, body))
          users.handle(from, body).catch((error: unknown) => internalError(from, error));
      } catch (error) {
        internalError(from, error);
      }
    });

    connection.on('presence', onPresence);

    connection.on('online', ({ reconnected, downMs, attempts }) => {
      const wasOffline = !online;
      online = true;
      if (reconnected) log.info('xmpp connection back', { down_ms: downMs, attempts });
      if (!wasOffline) return;
      // Presence from every online worker arrives now; workers see us come back and report again.
      notices.resend().catch(storeFailed);
      // …unless they never saw us go: on a cluster, a node that dies takes our session with it
      // and the other nodes tell nobody (ejabberd sends no `unavailable`), so workers there still
      // follow us and would not report. Ask them to: each waits for its profile (expectReports).
      if (reconnected)
        for (const w of scheduler.workers()) sendMessage(w.jid, { type: 'resync', v: 1 });
    });

    connection.on('offline', ({ reason }) => {
      online = false;
      if (!stopped) log.warn('xmpp connection lost; reconnecting', { reason });
      // While we were away workers may have died unseen: each must report again within the grace time.
      scheduler.expectReports();
    });
  }

  // XEP-0199 pings go to every worker that holds tasks or could be handed some (it sent a
  // profile); those silent in a round are given up together (ping-rounds.ts).
  const pings = createPingRounds({
    ping: (jid) => connection.ping(jid, pingTimeoutMs),
    silent(silent) {
      if (!online || stopped || !acting()) return;
      for (const jid of silent)
        log.warn('worker did not answer ping; requeueing its tasks', { worker: jid });
      void outbox.push(scheduler.unresponsive(...silent));
      for (const jid of silent) sendMessage(jid, { type: 'resync', v: 1 });
    },
  });
  function pingWorkers(): void {
    if (!online || !acting()) return;
    pings.round(
      scheduler
        .workers()
        .filter((w) => w.profile !== undefined || w.running.size > 0)
        .map((w) => w.jid),
    );
  }

  return {
    api,
    async start() {
      const snapshot = await readSnapshot(store);
      // From here to listen() nothing awaits: no event can come between the restore and the
      // handlers, and a standby's presence is handed over in the same turn.
      restoreScheduler(scheduler, snapshot);
      listen();
      for (const event of options.takePresence?.() ?? []) onPresence(event);
      void outbox.push(scheduler.finishRestore());
      const epoch = election?.epoch;
      if (epoch !== undefined) {
        // Priority 0: messages to the bare JID come here now, not to standbys (−1). Workers
        // follow the highest epoch and report to us as after a restart.
        await connection.setPresence(undefined, undefined, {
          priority: 0,
          manager: { role: 'active', epoch },
        });
      }
      if (connection.online) {
        online = true;
        notices.resend().catch(storeFailed);
      } else await connection.start();
      const tick = () => {
        if (!acting()) return;
        void outbox.push(scheduler.tick());
        workers.resync();
      };
      timers.push(setInterval(pingWorkers, pingIntervalMs));
      timers.push(setInterval(tick, 1000));
      log.info('manager online', {
        jid: connection.jid,
        ...(epoch === undefined ? {} : { epoch }),
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearInterval(t);
      feed.stop();
      try {
        if (!gone) await outbox.flush();
      } finally {
        await connection.stop();
        await store.close();
      }
    },
  };
}
