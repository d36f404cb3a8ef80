// Reads a manager's store from outside, whichever backend it is, for assertions and the chaos
// monitor: SQL with `?` placeholders, run read-only on a SQLite file (a fresh handle each time,
// since the manager may be killed and restarted under us) or on PostgreSQL.
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';

export interface StoreReader {
  /** Rows as the backend gives them: PostgreSQL's BIGINT and COUNT come back as strings. */
  query<T>(sql: string, ...params: (string | number)[]): Promise<T[]>;
  close(): Promise<void>;
}

const isPostgres = (location: string) => /^postgres(ql)?:\/\//i.test(location);

export function createStoreReader(location: string): StoreReader {
  if (!isPostgres(location)) {
    return {
      async query<T>(sql: string, ...params: (string | number)[]) {
        const db = new DatabaseSync(location, { readOnly: true });
        try {
          db.exec('PRAGMA busy_timeout = 1000');
          return db.prepare(sql).all(...params) as T[];
        } finally {
          db.close();
        }
      },
      close: async () => undefined,
    };
  }
  const pool = new pg.Pool({ connectionString: location, max: 2 });
  // A PostgreSQL restart (chaos) ends idle sessions: the next query opens another.
  pool.on('error', () => undefined);
  return {
    async query<T>(sql: string, ...params: (string | number)[]) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await pool.query(text, params)).rows as T[];
    },
    close: () => pool.end(),
  };
}
