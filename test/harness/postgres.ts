// A throwaway PostgreSQL for tests and the bench (recipe: /work/shared/reference/scale-out.md):
// Debian's PostgreSQL binaries (the newest under /usr/lib/postgresql; 15 on Debian 12), a data directory copied from a template made once by initdb
// (0.2 s instead of ~1 s), reachable only through a Unix socket in its own directory
// (listen_addresses=''). As root everything runs as the `postgres` user, since PostgreSQL refuses
// to run as root. pg_ctl detaches the server: we know it by the PID in postmaster.pid.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

import { exited, isAlive } from './detached.ts';

const VERSION = (() => {
  const versions = (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [])
    .filter((v) => /^\d+$/.test(v) && existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
    .map(Number)
    .sort((a, b) => b - a);
  return versions[0];
})();
const BIN = `/usr/lib/postgresql/${VERSION}/bin`;
const USER = 'kestrel';
const PORT = 5432; // only names the socket file: nothing listens on TCP
const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

export interface PostgresOptions {
  /** fsync and synchronous commits as in production (the bench); off for tests, which is faster. */
  durable?: boolean;
}

export interface TestPostgres {
  /** A fresh empty database; its URL, as `kestrel manager --store` takes it. */
  createDatabase(): Promise<string>;
  /** Runs SQL against a database of this instance (the URL createDatabase gave). */
  query<T extends pg.QueryResultRow>(url: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** A fast restart (pg_ctl restart -m fast): every session is ended, data kept. */
  restart(): Promise<void>;
  /** The postmaster now. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** Runs a PostgreSQL binary, as `postgres` when we are root. */
function pgRun(binary: string, args: string[]) {
  const path = join(BIN, binary);
  return asRoot
    ? run('runuser', ['-u', 'postgres', '--', path, ...args], { timeout: 60_000 })
    : run(path, args, { timeout: 60_000 });
}

/** The template data directory, made once per machine (and user), atomically. */
async function template(): Promise<string> {
  if (VERSION === undefined)
    throw new Error('PostgreSQL is not installed (scripts/setup installs Debian’s postgresql)');
  const dir = join(tmpdir(), `kestrel-pg${VERSION}-template-${process.getuid?.() ?? 'x'}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const building = await mkdtemp(`${dir}.building-`);
  if (asRoot) await run('chown', ['postgres:', building]);
  const data = join(building, 'data');
  await pgRun('initdb', [
    ...['-D', data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8'],
    '--no-sync',
    '--no-instructions',
  ]);
  try {
    renameSync(data, dir);
  } catch {
    // Another test process made it first: use theirs.
  }
  await rm(building, { recursive: true, force: true });
  return dir;
}

function readPid(data: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(data, 'postmaster.pid'), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function startPostgres(options: PostgresOptions = {}): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'kestrel-pg-'));
  const data = join(dir, 'data');
  await run('cp', ['-a', await template(), data]);
  if (asRoot) await run('chown', ['postgres:', dir]);
  const settings = [
    `-p ${PORT}`,
    `-k ${dir}`,
    "-c listen_addresses=''",
    '-c max_connections=200',
    ...(options.durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
  ].join(' ');
  let postmaster: number | undefined;
  // If the test process dies without calling stop(), do not leave a server behind (SIGQUIT is
  // PostgreSQL's immediate shutdown: its backends go too).
  const killOnExit = () => {
    if (postmaster !== undefined && isAlive(postmaster)) process.kill(postmaster, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const ctl = (...args: string[]) =>
    pgRun('pg_ctl', ['-D', data, '-w', '-t', '30', '-l', join(dir, 'log'), ...args]);
  try {
    await ctl('-o', settings, 'start');
    postmaster = readPid(data);
  } catch (error) {
    process.off('exit', killOnExit);
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
    await rm(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`, { cause: error });
  }

  const urlOf = (db: string) => `postgres://${USER}@localhost/${db}?host=${dir}&port=${PORT}`;
  async function query<T extends pg.QueryResultRow>(url: string, sql: string, params?: unknown[]) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  return {
    async createDatabase() {
      const name = `k_${randomBytes(6).toString('hex')}`;
      await query(urlOf('postgres'), `CREATE DATABASE ${name}`);
      return urlOf(name);
    },
    query,
    async restart() {
      await ctl('-m', 'fast', '-o', settings, 'restart');
      postmaster = readPid(data);
    },
    pid: () => postmaster,
    async stop() {
      process.off('exit', killOnExit);
      if (postmaster !== undefined && isAlive(postmaster)) {
        process.kill(postmaster, 'SIGQUIT');
        await exited(postmaster, 10_000);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
