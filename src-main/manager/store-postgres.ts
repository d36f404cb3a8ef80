import { hostname } from 'node:os';
import pg from 'pg';
import type { Action } from './core/types.ts';
import { createElection, type Election } from './election.ts';
import { FENCED_SQLSTATE, SCHEMA, SCHEMA_LOCK, SCHEMA_VERSION } from './postgres-schema.ts';
import { recordValues, toJob, toTask, type Row } from './store-rows.ts';
import {
  redactUrl,
  storable,
  StoreError,
  type ManagerStore,
  type OpenStoreOptions,
} from './store.ts';

/**
 * The manager's store in PostgreSQL, shared by the active manager and its standbys. Reads go to a
 * small pool; writes are made one at a time, in the order they were asked for (as on SQLite, a
 * later write never overtakes an earlier one), each one call of a fenced function
 * (postgres-schema.ts) with the epoch this manager won: a write before the win, or after a
 * takeover, is refused and rejects with StoreError 'not_active' or 'fenced'.
 */

/** One action as the JSON array kestrel_apply() reads; undefined for those without a store effect. */
function encode(a: Action, at: number): unknown[] | undefined {
  switch (a.kind) {
    case 'dispatch':
      return ['d', a.worker, a.tasks.map((t) => [t.jobId, t.index, t.attempt])];
    case 'record':
      return ['r', a.result.jobId, a.result.index, ...recordValues(a), at];
    case 'requeue':
      return ['q', a.task.jobId, a.task.index, a.lost];
    case 'give_up':
      return ['g', a.task.jobId, a.task.index, storable(a.reason), at];
    case 'cancel_job':
      return ['c', a.jobId, a.at];
    case 'job_finished':
      return ['f', a.jobId, a.at, a.counts.done, a.counts.failed, a.counts.cancelled];
    case 'cancel_tasks':
    case 'ack':
      return undefined;
  }
}

async function createSchema(pool: pg.Pool, location: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Managers starting together would race on CREATE … IF NOT EXISTS (a unique violation).
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(SCHEMA);
    const { rows } = await client.query<{ value: string }>(
      "SELECT value FROM meta WHERE key = 'schema'",
    );
    const found = rows[0]?.value;
    if (found === undefined)
      await client.query("INSERT INTO meta (key, value) VALUES ('schema', $1)", [
        String(SCHEMA_VERSION),
      ]);
    else if (Number(found) !== SCHEMA_VERSION)
      throw new StoreError(
        'schema',
        `store ${location} has schema ${found}; this manager needs ${SCHEMA_VERSION}`,
      );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function openPostgresStore(
  url: string,
  options: OpenStoreOptions = {},
): Promise<ManagerStore> {
  const name = options.name ?? `manager-${hostname()}-${process.pid}`;
  const connection: pg.ClientConfig = { connectionString: url };
  const pool = new pg.Pool({
    ...connection,
    max: 4,
    application_name: `kestrel-store:${name}`.slice(0, 63),
  });
  // An idle pooled session that PostgreSQL ended (a restart): the next query opens a new one.
  pool.on('error', (error) =>
    options.log?.warn('PostgreSQL ended an idle store session', { error: error.message }),
  );
  try {
    await createSchema(pool, redactUrl(url));
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const election: Election = createElection({
    connection,
    name,
    takeoverAfterMs: options.takeoverAfterMs,
    log: options.log,
  });

  let writes: Promise<unknown> = Promise.resolve();
  /** Runs `sql` as the next write, fenced by our epoch; fencing errors become StoreErrors. */
  function write<T extends pg.QueryResultRow>(
    sql: string,
    params: (epoch: number) => unknown[],
  ): Promise<pg.QueryResult<T>> {
    const run = async () => {
      const epoch = election.epoch;
      if (epoch === undefined)
        throw new StoreError('not_active', 'a standby manager may not write to the store');
      try {
        return await pool.query<T>(sql, params(epoch));
      } catch (error) {
        if ((error as { code?: unknown }).code !== FENCED_SQLSTATE) throw error;
        const fenced = new StoreError(
          'fenced',
          `another manager took over the store: ${(error as Error).message}`,
          { cause: error },
        );
        election.lose(fenced);
        throw fenced;
      }
    };
    const next = writes.then(run, run);
    writes = next.catch(() => undefined);
    return next;
  }

  const read = async (sql: string, params: unknown[] = []) =>
    (await pool.query<Row>(sql, params)).rows;

  let closed = false;
  return {
    kind: 'postgres',
    election,
    async insertJob(owner, replyTo, spec, at) {
      const { rows } = await write<{ id: string }>(
        'SELECT kestrel_insert_job($1, $2, $3, $4, $5) AS id',
        (epoch) => [epoch, owner, replyTo, JSON.stringify(spec), at],
      );
      return { id: Number(rows[0]?.id), owner, replyTo, spec, submittedAt: at };
    },
    async apply(actions) {
      const at = Date.now();
      const encoded: unknown[][] = [];
      for (const a of actions) {
        const e = encode(a, at);
        if (e !== undefined) encoded.push(e);
      }
      if (encoded.length === 0) return;
      await write('SELECT kestrel_apply($1, $2::jsonb)', (epoch) => [
        epoch,
        JSON.stringify(encoded),
      ]);
    },
    async markNotified(jobId, value = true) {
      await write('SELECT kestrel_mark_notified($1, $2, $3)', (epoch) => [
        epoch,
        jobId,
        value ? 1 : 0,
      ]);
    },
    jobs: async () => (await read('SELECT * FROM jobs ORDER BY id')).map(toJob),
    unnotifiedJobs: async () =>
      (
        await read('SELECT * FROM jobs WHERE finished_at IS NOT NULL AND notified = 0 ORDER BY id')
      ).map(toJob),
    openTasks: async () =>
      (
        await read(
          'SELECT t.* FROM tasks t JOIN jobs j ON j.id = t.job_id WHERE j.finished_at IS NULL',
        )
      ).map(toTask),
    async task(jobId, index) {
      const [row] = await read('SELECT * FROM tasks WHERE job_id = $1 AND idx = $2', [
        jobId,
        index,
      ]);
      return row ? toTask(row) : undefined;
    },
    failedTasks: async (jobId, limit) =>
      (
        await read(
          "SELECT * FROM tasks WHERE job_id = $1 AND state = 'failed' ORDER BY idx LIMIT $2",
          [jobId, limit],
        )
      ).map(toTask),
    async deleteJobs(jobIds) {
      if (jobIds.length === 0) return 0;
      const { rows } = await write<{ gone: number }>(
        'SELECT kestrel_delete_jobs($1, $2::bigint[]) AS gone',
        (epoch) => [epoch, jobIds],
      );
      return Number(rows[0]?.gone ?? 0);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Every step, even if one fails: the lock first, so a standby can take over at once.
      await election.close().catch(() => undefined);
      await writes;
      await pool.end().catch(() => undefined);
    },
  };
}
