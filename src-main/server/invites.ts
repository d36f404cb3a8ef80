// One-time invite tokens for in-band registration (XEP-0077 is off unless a token is given:
// XEP-0445 pre-authenticated registration). Only a SHA-256 of each token is stored, so the
// database does not hand out registrations; a token is spent by the registration it allows.
import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { isRole, type Role } from './account-roles.ts';
import { XmppServerError } from './errors.ts';
import { prepLocal } from './jid.ts';

export interface InviteOptions {
  /** How long the token is valid; default 7 days. */
  ttlMs?: number;
  /** Restricts the registration to this username. */
  username?: string;
  /** What the account it registers may do in the pool; default: work. */
  roles?: readonly Role[];
}

export interface Invite {
  token: string;
  expiresAt: Date;
  username: string | undefined;
  roles: Role[];
}

export interface InviteStore {
  create(options?: InviteOptions): Invite;
  /** Whether `token` is valid now (for `username`, if the invite names one); spends nothing. */
  check(token: string, username?: string): boolean;
  /** Spends the token; false if it was not valid. */
  consume(token: string, username: string): boolean;
  /** The roles a valid token grants (read before consume spends it). */
  rolesOf(token: string): Role[];
}

const DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000;

export function createInviteStore(db: DatabaseSync, now: () => number = Date.now): InviteStore {
  const insert = db.prepare(
    'INSERT INTO invites (token_hash, username, roles, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const select = db.prepare('SELECT username, expires_at FROM invites WHERE token_hash = ?');
  const selectRoles = db.prepare('SELECT roles FROM invites WHERE token_hash = ?');
  const remove = db.prepare('DELETE FROM invites WHERE token_hash = ?');
  const expire = db.prepare('DELETE FROM invites WHERE expires_at <= ?');

  function valid(token: string, username: string | undefined): boolean {
    const row = select.get(hash(token)) as
      { username: string | null; expires_at: number } | undefined;
    if (row === undefined || row.expires_at <= now()) return false;
    return row.username === null || username === undefined || row.username === prepLocal(username);
  }

  return {
    create(options = {}) {
      const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
      if (!(ttlMs > 0)) throw new XmppServerError('invalid_options', 'ttlMs must be positive');
      let username: string | undefined;
      if (options.username !== undefined) {
        username = prepLocal(options.username);
        if (username === undefined) {
          throw new XmppServerError(
            'invalid_username',
            `not a valid username: ${options.username}`,
          );
        }
      }
      const roles: Role[] = [...new Set(options.roles ?? ['worker' as const])].sort();
      expire.run(now());
      const token = randomBytes(18).toString('base64url');
      const expiresAt = now() + ttlMs;
      insert.run(hash(token), username ?? null, roles.join(','), now(), expiresAt);
      return { token, expiresAt: new Date(expiresAt), username, roles };
    },
    check: valid,
    rolesOf(token) {
      const row = selectRoles.get(hash(token)) as { roles: string | null } | undefined;
      return (row?.roles ?? 'worker').split(',').filter(isRole);
    },
    consume(token, username) {
      if (!valid(token, username)) return false;
      return remove.run(hash(token)).changes > 0;
    },
  };
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
