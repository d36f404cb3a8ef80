import pg from 'pg';
import { LOCK_SESSION_PREFIX } from './election.ts';
import { LEADER_LOCK } from './postgres-schema.ts';

/**
 * Which managers share a PostgreSQL store and which of them is active, read from PostgreSQL
 * itself (`kestrel manager status`): the session that holds the leader lock is the active
 * manager, the other lock sessions are standbys waiting for it, and `epochs` says who took over
 * when. Works whether or not any manager runs.
 */

export interface ManagerStatus {
  /** The epoch of the latest takeover (0: no manager ever ran on this store). */
  epoch: number;
  /** The manager holding the lock now, if any. */
  active: { name: string; epoch: number; since: string } | undefined;
  /** Managers waiting to take over, by name. */
  standbys: string[];
  /** The latest takeovers, newest first. */
  takeovers: { epoch: number; name: string; at: string }[];
}

interface SessionRow {
  application_name: string;
  holds: boolean;
}

export async function readManagerStatus(url: string): Promise<ManagerStatus> {
  const client = new pg.Client({ connectionString: url, application_name: 'kestrel-status' });
  await client.connect();
  try {
    const sessions = await client.query<SessionRow>(
      `SELECT a.application_name, EXISTS (
         SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
           AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1) AS holds
       FROM pg_stat_activity a
       WHERE a.datname = current_database() AND starts_with(a.application_name, $2)
       ORDER BY a.backend_start`,
      [LEADER_LOCK, LOCK_SESSION_PREFIX],
    );
    // No table yet: no manager has opened this store.
    const empty = { rows: [] };
    const missing = (error: { code?: string }) => {
      if (error.code === '42P01') return empty;
      throw error;
    };
    const leader = await client
      .query<{ epoch: string; since: Date | null }>('SELECT epoch, since FROM leader WHERE id = 1')
      .catch(missing);
    const history = await client
      .query<{ epoch: string; holder: string; began_at: Date }>(
        'SELECT epoch, holder, began_at FROM epochs ORDER BY epoch DESC LIMIT 10',
      )
      .catch(missing);
    const nameOf = (row: SessionRow) => row.application_name.slice(LOCK_SESSION_PREFIX.length);
    const holder = sessions.rows.find((row) => row.holds);
    const row = leader.rows[0];
    const epoch = Number(row?.epoch ?? 0);
    return {
      epoch,
      active:
        holder === undefined
          ? undefined
          : { name: nameOf(holder), epoch, since: row?.since?.toISOString() ?? '' },
      standbys: sessions.rows.filter((r) => !r.holds).map(nameOf),
      takeovers: history.rows.map((h) => ({
        epoch: Number(h.epoch),
        name: h.holder,
        at: h.began_at.toISOString(),
      })),
    };
  } finally {
    await client.end();
  }
}
