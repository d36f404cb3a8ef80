// One private PostgreSQL per test file (postgres.ts starts it), kept apart from postgres.ts so
// that the bench and the chaos run, which start PostgreSQL too, do not import vitest.
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresOptions, type TestPostgres } from './postgres.ts';

/**
 * One PostgreSQL for the test file calling this: started before its tests, stopped after them.
 * The accessor gives the running instance (createDatabase() for a fresh database per test).
 */
export function usePostgres(options: PostgresOptions = {}): () => TestPostgres {
  let postgres: TestPostgres | undefined;
  beforeAll(async () => {
    postgres = await startPostgres(options);
  });
  afterAll(async () => {
    await postgres?.stop();
  });
  return () => {
    if (postgres === undefined) throw new Error('usePostgres(): PostgreSQL is not running yet');
    return postgres;
  };
}
