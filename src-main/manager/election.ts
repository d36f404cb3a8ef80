import pg from 'pg';
import type { Logger } from '../common/log.ts';
import { LEADER_LOCK } from './postgres-schema.ts';
import { StoreError } from './store.ts';

/**
 * Which of the managers sharing a PostgreSQL store is the active one. Not presence: a standby on
 * another node of an XMPP cluster never hears that the active one died (ejabberd sends no
 * `unavailable` for the sessions of a dead node). Instead the active manager holds an advisory
 * lock on a session of its own, which PostgreSQL ends when the process dies (the socket closes)
 * or goes silent for `takeoverAfterMs` (idle_session_timeout: a frozen or cut-off manager), and
 * which standbys try to take every `pollMs`. The winner bumps the epoch in `leader`; the store
 * fences every write with it (postgres-schema.ts), so a deposed manager's writes are refused.
 *
 * The lock is lost when its session ends, a keep-alive fails, or — judged by this process alone —
 * when no keep-alive has been answered for long enough that PostgreSQL may have ended the
 * session: a manager thawed after SIGSTOP knows it may be deposed before it hears so (HTCondor's
 * schedd fences itself the same way when it loses its lock file).
 */

export interface Election {
  /** The epoch this manager won, once it has (undefined while it waits, and after close). */
  readonly epoch: number | undefined;
  /** Waits for the lock, then bumps the epoch; resolves with it. Rejects only if closed first. */
  win(): Promise<number>;
  /** Whether this manager is still certainly the active one (false while waiting). */
  holds(): boolean;
  /** Called once if the lock is lost after the win (never after close()). */
  onLost(listener: (error: StoreError) => void): void;
  /** The lock was shown lost by someone else (a write refused by the epoch check). */
  lose(error: StoreError): void;
  close(): Promise<void>;
}

export interface ElectionOptions {
  connection: pg.ClientConfig;
  /** This manager's name: `application_name` of its lock session, and the `holder` it records. */
  name: string;
  /** How long PostgreSQL keeps the lock of an active manager that has gone silent (default 3000 ms). */
  takeoverAfterMs?: number;
  /** How often a standby tries to take the lock (default 100 ms). */
  pollMs?: number;
  log?: Logger;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The application_name prefix of lock sessions, for `kestrel manager status`. */
export const LOCK_SESSION_PREFIX = 'kestrel-manager:';

export function createElection(options: ElectionOptions): Election {
  const takeoverAfterMs = options.takeoverAfterMs ?? 3000;
  const pollMs = options.pollMs ?? 100;
  // Often enough that a turn of the event loop as long as two seconds (of a 3 s timeout) still
  // leaves the lock confirmed.
  const keepAliveMs = Math.max(50, Math.floor(takeoverAfterMs / 6));
  // Our own deadline comes before PostgreSQL's: its idle clock starts when it answered the last
  // keep-alive, which is after we sent it.
  const trustMs = takeoverAfterMs - Math.min(500, Math.floor(takeoverAfterMs / 4));
  const listeners: ((error: StoreError) => void)[] = [];
  let client: pg.Client | undefined;
  let epoch: number | undefined;
  let lost: StoreError | undefined;
  let closed = false;
  /** When the last answered keep-alive was sent (performance.now()). */
  let confirmedAt = 0;
  let keepAlive: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;

  async function connect(): Promise<pg.Client> {
    const next = new pg.Client({
      ...options.connection,
      application_name: `${LOCK_SESSION_PREFIX}${options.name}`.slice(0, 63),
    });
    next.on('error', (error) => {
      if (next === client && epoch !== undefined)
        lose(lockLost(`its session failed: ${error.message}`));
    });
    next.on('end', () => {
      if (next === client && epoch !== undefined) lose(lockLost('its session ended'));
    });
    await next.connect();
    // The session PostgreSQL ends when this process stops talking: that frees the lock.
    await next.query(`SET idle_session_timeout = ${Math.max(1, takeoverAfterMs)}`);
    return next;
  }

  const lockLost = (why: string) =>
    new StoreError('lock_lost', `this manager is no longer the active one: ${why}`);

  function lose(error: StoreError): void {
    if (lost !== undefined || closed || epoch === undefined) return;
    lost = error;
    clearInterval(keepAlive);
    clearInterval(watchdog);
    client?.end().catch(() => undefined);
    for (const listener of listeners) listener(error);
  }

  async function tryLock(): Promise<boolean> {
    client ??= await connect();
    const { rows } = await client.query<{ held: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS held',
      [LEADER_LOCK],
    );
    return rows[0]?.held === true;
  }

  async function bump(session: pg.Client): Promise<number> {
    await session.query('BEGIN');
    try {
      // FOR UPDATE waits for the deposed manager's writes in flight (each holds the row FOR
      // SHARE); only then is the new epoch's start taken, so every write of the old epoch is
      // stored, and stamped, before it.
      await session.query('SELECT epoch FROM leader WHERE id = 1 FOR UPDATE');
      const { rows } = await session.query<{ epoch: string }>(
        `WITH up AS (
           UPDATE leader SET epoch = epoch + 1, holder = $1, since = clock_timestamp() WHERE id = 1
           RETURNING epoch, holder, since)
         INSERT INTO epochs (epoch, holder, began_at) SELECT epoch, holder, since FROM up
         RETURNING epoch`,
        [options.name],
      );
      await session.query('COMMIT');
      const value = Number(rows[0]?.epoch);
      if (!Number.isSafeInteger(value)) throw new Error('the leader row is missing');
      return value;
    } catch (error) {
      await session.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  function beat(session: pg.Client): void {
    const sentAt = performance.now();
    session.query('SELECT 1').then(
      () => void (confirmedAt = Math.max(confirmedAt, sentAt)),
      (error: unknown) => lose(lockLost(`a keep-alive failed: ${String(error)}`)),
    );
  }

  return {
    get epoch() {
      return closed ? undefined : epoch;
    },
    async win() {
      let backoff = pollMs;
      for (;;) {
        if (closed) throw new StoreError('not_active', 'closed before winning the election');
        try {
          if (await tryLock()) {
            confirmedAt = performance.now();
            epoch = await bump(client as pg.Client);
            confirmedAt = performance.now();
            break;
          }
          backoff = pollMs;
        } catch (error) {
          // PostgreSQL restarting or out of reach: a standby keeps trying, quietly at first. A
          // lock taken on a session that then failed went with that session.
          epoch = undefined;
          if (backoff >= 1000)
            options.log?.warn('cannot reach PostgreSQL to wait for the lock; retrying', {
              error: String(error),
            });
          client?.end().catch(() => undefined);
          client = undefined;
          backoff = Math.min(backoff * 2, 5000);
        }
        await sleep(backoff);
      }
      const session = client as pg.Client;
      keepAlive = setInterval(() => beat(session), keepAliveMs);
      watchdog = setInterval(
        () => {
          if (performance.now() - confirmedAt > trustMs)
            lose(
              lockLost(
                `no keep-alive answered for ${Math.round(performance.now() - confirmedAt)} ms`,
              ),
            );
        },
        Math.min(100, keepAliveMs),
      );
      return epoch;
    },
    holds() {
      return (
        epoch !== undefined &&
        lost === undefined &&
        !closed &&
        performance.now() - confirmedAt <= trustMs
      );
    },
    onLost(listener) {
      listeners.push(listener);
    },
    lose,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      clearInterval(watchdog);
      // Ending the session frees the lock at once: a standby takes over without waiting.
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}
