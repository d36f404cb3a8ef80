import { encodeMessage, plainText, type Message } from '../../shared/protocol/index.ts';
import type { Logger } from '../common/log.ts';
import type { XmppConnection } from '../xmpp/connection.ts';
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
import { restoreScheduler } from './restore.ts';
import type { ManagerStore } from './store.ts';
import { createUserCommands } from './user-commands.ts';
import { createWorkerInbox } from './worker-inbox.ts';
import type { WorkerRateLimits } from './worker-rate.ts';

/** The manager process: XMPP in, scheduler in the middle, store and XMPP out. */

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
  const pinging = new Set<string>();
  let online = false;
  let stopped = false;

  const notices = createFinishNotices({
    store,
    send: (to, message) => connection.sendText(to, encodeMessage(message)),
    log,
    now,
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

  const outbox = createOutbox(store, send, (job) => notices.finished(job));
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

  // A job_finished that bounced goes to its submitter when they next speak or come online.
  connection.on('message_error', ({ from, condition, id }) => {
    if (notices.bounced(id, from)) {
      log.info('job_finished bounced; kept until the submitter is back', { to: from, condition });
    }
  });

  connection.on('message', ({ from, body }) => {
    notices.heardFrom(from);
    try {
      if (!workers.handle(from, body)) users.handle(from, body);
    } catch (error) {
      log.error('message handling failed', { from, error: String(error) });
      sendMessage(from, {
        type: 'error',
        code: 'internal',
        reason: 'internal error; the manager logged it',
      });
    }
  });

  connection.on('presence', ({ from, available, show }) => {
    if (from === connection.jid) return;
    // Submitters who share their presence with the manager (an IM contact) get waiting notices
    // as soon as they are back.
    if (available) notices.heardFrom(from);
    if (!access.isWorker(from)) return;
    const actions = scheduler.presence(from, available, show);
    const requeued = actions.filter((a) => a.kind === 'requeue').length;
    if (requeued > 0) log.info(`worker went offline; requeued ${requeued} tasks`, { worker: from });
    outbox.push(actions);
  });

  connection.on('online', ({ reconnected, downMs, attempts }) => {
    const wasOffline = !online;
    online = true;
    if (reconnected) log.info('xmpp connection back', { down_ms: downMs, attempts });
    if (!wasOffline) return;
    // Presence from every online worker arrives now; workers see us come back and report again.
    notices.resend();
  });

  connection.on('offline', ({ reason }) => {
    online = false;
    if (!stopped) log.warn('xmpp connection lost; reconnecting', { reason });
    // While we were away workers may have died unseen: each must report again within the grace time.
    scheduler.expectReports();
  });

  // XEP-0199 pings go to every worker that holds tasks or could be handed some (it sent a
  // profile), and the workers that fail a round are given up together. Pinging holders one by one
  // missed frozen idle workers (suspended laptops): they still look available, so a task taken
  // from one went to the next, and every loss counts toward the task's maxLost; the chaos run
  // (test/chaos) saw five frozen idle workers fail a task a healthy worker could run.
  function pingWorkers(): void {
    if (!online) return;
    const round = scheduler
      .workers()
      .filter((w) => (w.profile !== undefined || w.running.size > 0) && !pinging.has(w.jid))
      .map((w) => w.jid);
    for (const jid of round) pinging.add(jid);
    const answers = round.map((jid) => connection.ping(jid, pingTimeoutMs));
    void Promise.all(answers).then((alive) => {
      for (const jid of round) pinging.delete(jid);
      const gone = round.filter((_, i) => !alive[i]);
      if (gone.length === 0 || !online || stopped) return;
      for (const jid of gone)
        log.warn('worker did not answer ping; requeueing its tasks', { worker: jid });
      outbox.push(scheduler.unresponsive(...gone));
      for (const jid of gone) sendMessage(jid, { type: 'resync', v: 1 });
    });
  }

  return {
    api,
    async start() {
      restoreScheduler(scheduler, store);
      outbox.push(scheduler.finishRestore());
      await connection.start();
      timers.push(setInterval(pingWorkers, pingIntervalMs));
      timers.push(
        setInterval(() => {
          outbox.push(scheduler.tick());
          workers.resync();
        }, 1000),
      );
      log.info('manager online', { jid: connection.jid });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearInterval(t);
      feed.stop();
      try {
        outbox.flush();
      } finally {
        await connection.stop();
        store.close();
      }
    },
  };
}
