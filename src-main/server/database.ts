// The server's SQLite database in the data directory: accounts and their roles, rosters, pending
// subscription requests and invite tokens. WAL lets `kestrel user …` read and write while the server runs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { skeleton } from './confusables.ts';

export const DATABASE_FILE = 'xmpp.db';

export function openServerDatabase(dataDir: string): DatabaseSync {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(join(dataDir, DATABASE_FILE));
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA busy_timeout = 5000;
    PRAGMA foreign_keys = ON;
  `);
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (row.user_version < 1) migrate(db);
  if (row.user_version < 2) addSkeletons(db);
  if (row.user_version < 3) addRoles(db);
  return db;
}

/** Version 2: each account's look-alike skeleton (confusables.ts), indexed for registration. */
function addSkeletons(db: DatabaseSync): void {
  db.exec('BEGIN');
  try {
    db.exec('ALTER TABLE accounts ADD COLUMN skeleton TEXT');
    const update = db.prepare('UPDATE accounts SET skeleton = ? WHERE username = ?');
    for (const { username } of db.prepare('SELECT username FROM accounts').all() as {
      username: string;
    }[]) {
      update.run(skeleton(username), username);
    }
    db.exec(`CREATE INDEX accounts_skeleton ON accounts (skeleton);
      PRAGMA user_version = 2;
      COMMIT;`);
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * Version 3: the accounts' roles in the pool (account-roles.ts) and the roles an invite grants.
 * Accounts made before roles existed keep what they could do: submit and work.
 */
function addRoles(db: DatabaseSync): void {
  const columns = db.prepare('PRAGMA table_info(invites)').all() as { name: string }[];
  const inviteRoles = columns.some((c) => c.name === 'roles')
    ? ''
    : 'ALTER TABLE invites ADD COLUMN roles TEXT;';
  db.exec(`
    BEGIN;
    CREATE TABLE IF NOT EXISTS account_roles (
      username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
      role TEXT NOT NULL,
      PRIMARY KEY (username, role)
    ) WITHOUT ROWID;
    ${inviteRoles}
    INSERT OR IGNORE INTO account_roles (username, role)
      SELECT username, role FROM accounts, (SELECT 'submitter' AS role UNION SELECT 'worker');
    PRAGMA user_version = 3;
    COMMIT;
  `);
}

function migrate(db: DatabaseSync): void {
  db.exec(`
    BEGIN;
    CREATE TABLE IF NOT EXISTS accounts (
      username TEXT PRIMARY KEY,
      salt BLOB NOT NULL,
      iterations INTEGER NOT NULL,
      sha1_stored_key BLOB NOT NULL,
      sha1_server_key BLOB NOT NULL,
      sha256_stored_key BLOB NOT NULL,
      sha256_server_key BLOB NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- RFC 6121 §2.1.2 roster items: subscription state, pending-out (ask), name and groups.
    CREATE TABLE IF NOT EXISTS roster_items (
      owner TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
      contact TEXT NOT NULL,
      subscription TEXT NOT NULL,
      ask INTEGER NOT NULL,
      name TEXT,
      groups TEXT NOT NULL,
      PRIMARY KEY (owner, contact)
    ) WITHOUT ROWID;
    -- RFC 6121 §3.1.3 pending-in: subscription requests not answered yet (kept apart from the
    -- roster, which shows no item for them).
    CREATE TABLE IF NOT EXISTS roster_pending (
      owner TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
      contact TEXT NOT NULL,
      stanza TEXT NOT NULL,
      PRIMARY KEY (owner, contact)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS invites (
      token_hash TEXT PRIMARY KEY,
      username TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    PRAGMA user_version = 1;
    COMMIT;
  `);
}
