// Accounts in the server database: usernames with their SCRAM credentials only (salt,
// iterations, StoredKey and ServerKey for SHA-1 and SHA-256; RFC 5802 §3), never passwords.
// Used by the running server and, on the same data directory, by `kestrel user …`.
import type { DatabaseSync, StatementSync } from 'node:sqlite';

import {
  DEFAULT_ITERATIONS,
  MIN_ITERATIONS,
  deriveCredentials,
  verifyPassword,
  type StoredCredentials,
} from './credentials.ts';
import { skeleton } from './confusables.ts';
import { XmppServerError } from './errors.ts';
import { prepLocal } from './jid.ts';
import { prepareUsername } from './username.ts';

export interface AccountStore {
  /**
   * Creates an account; the username is prepared like a JID localpart (PRECIS, lowercase).
   * Refuses a name that is not a valid username (invalid_username), that exists
   * (account_exists) or that looks like an existing one (confusable_username).
   */
  add(username: string, password: string): Promise<void>;
  /** The prepared name if `add` would take it with this password now; else throws as add does. */
  checkNew(username: string, password: string): string;
  /** Deletes an account and its roster; false if there was none. */
  remove(username: string): boolean;
  /** Normalised usernames, sorted. */
  list(): string[];
  setPassword(username: string, password: string): Promise<void>;
  verify(username: string, password: string): Promise<boolean>;
  exists(username: string): boolean;
  /** The stored credentials, for SASL; undefined if the account does not exist. */
  credentials(username: string): StoredCredentials | undefined;
}

export interface AccountStoreOptions {
  /** PBKDF2 iterations for new passwords; default 10 000, at least 4096 (RFC 7677 §4). */
  iterations?: number;
}

const MAX_PASSWORD_BYTES = 1024;

interface CredentialRow {
  salt: Uint8Array;
  iterations: number;
  sha1_stored_key: Uint8Array;
  sha1_server_key: Uint8Array;
  sha256_stored_key: Uint8Array;
  sha256_server_key: Uint8Array;
}

export function createAccountStore(
  db: DatabaseSync,
  options: AccountStoreOptions = {},
): AccountStore {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS) {
    throw new XmppServerError('invalid_options', `iterations must be ≥ ${MIN_ITERATIONS}`);
  }
  const statements = prepare(db);

  function row(username: string): CredentialRow | undefined {
    return statements.select.get(username) as CredentialRow | undefined;
  }

  function credentials(username: string): StoredCredentials | undefined {
    const r = row(username);
    if (r === undefined) return undefined;
    const key = (bytes: Uint8Array) => Buffer.from(bytes);
    return {
      salt: key(r.salt),
      iterations: r.iterations,
      sha1: { storedKey: key(r.sha1_stored_key), serverKey: key(r.sha1_server_key) },
      sha256: { storedKey: key(r.sha256_stored_key), serverKey: key(r.sha256_server_key) },
    };
  }

  async function derive(password: string): Promise<(string | number | Uint8Array)[]> {
    checkPassword(password);
    const c = await deriveCredentials(password, iterations);
    return [
      c.salt,
      c.iterations,
      c.sha1.storedKey,
      c.sha1.serverKey,
      c.sha256.storedKey,
      c.sha256.serverKey,
    ];
  }

  /** Throws unless `username` (prepared) is free and looks like no other account. */
  function checkFree(username: string): void {
    if (row(username) !== undefined) {
      throw new XmppServerError('account_exists', `account ${username} exists`);
    }
    const found = statements.lookalike.get(skeleton(username), username) as
      { username: string } | undefined;
    const lookalike = found?.username;
    if (lookalike !== undefined) {
      throw new XmppServerError(
        'confusable_username',
        `${JSON.stringify(username)} looks too much like the existing account ${JSON.stringify(lookalike)}`,
      );
    }
  }

  return {
    checkNew(name, password) {
      const username = checkUsername(name);
      checkPassword(password);
      checkFree(username);
      return username;
    },
    async add(name, password) {
      const username = checkUsername(name);
      checkFree(username);
      const values = await derive(password);
      checkFree(username); // again: another add may have taken a look-alike meanwhile
      try {
        statements.insert.run(username, ...values, Date.now(), skeleton(username));
      } catch (error) {
        if (row(username) === undefined) throw error;
        throw new XmppServerError('account_exists', `account ${username} exists`, { cause: error });
      }
    },
    remove(name) {
      // A name stored before today's username rules may not prepare any more: match it as is.
      const username = prepLocal(name) ?? name;
      return statements.remove.run(username).changes > 0;
    },
    list() {
      return (statements.list.all() as { username: string }[]).map((r) => r.username);
    },
    async setPassword(name, password) {
      const username = checkUsername(name);
      const values = await derive(password);
      if (statements.update.run(...values, username).changes === 0) {
        throw new XmppServerError('no_such_account', `no account ${username}`);
      }
    },
    async verify(name, password) {
      const username = prepLocal(name);
      const stored = username === undefined ? undefined : credentials(username);
      return stored !== undefined && (await verifyPassword(stored, password));
    },
    exists(name) {
      const username = prepLocal(name);
      return username !== undefined && row(username) !== undefined;
    },
    credentials,
  };
}

function prepare(
  db: DatabaseSync,
): Record<'select' | 'insert' | 'update' | 'remove' | 'list' | 'lookalike', StatementSync> {
  const columns =
    'salt, iterations, sha1_stored_key, sha1_server_key, sha256_stored_key, sha256_server_key';
  return {
    select: db.prepare(`SELECT ${columns} FROM accounts WHERE username = ?`),
    insert: db.prepare(
      `INSERT INTO accounts (username, ${columns}, created_at, skeleton)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    update: db.prepare(
      `UPDATE accounts SET salt = ?, iterations = ?, sha1_stored_key = ?, sha1_server_key = ?,
       sha256_stored_key = ?, sha256_server_key = ? WHERE username = ?`,
    ),
    remove: db.prepare('DELETE FROM accounts WHERE username = ?'),
    list: db.prepare('SELECT username FROM accounts ORDER BY username'),
    lookalike: db.prepare('SELECT username FROM accounts WHERE skeleton = ? AND username != ?'),
  };
}

export function checkUsername(name: string): string {
  const result = prepareUsername(name);
  if (!result.ok) {
    throw new XmppServerError(
      'invalid_username',
      `not a valid username: ${JSON.stringify(name)}: ${result.reason}`,
    );
  }
  return result.username;
}

function checkPassword(password: string): void {
  const bytes = Buffer.byteLength(password);
  if (bytes === 0 || bytes > MAX_PASSWORD_BYTES) {
    throw new XmppServerError(
      'invalid_password',
      `a password has 1 to ${MAX_PASSWORD_BYTES} bytes`,
    );
  }
}
