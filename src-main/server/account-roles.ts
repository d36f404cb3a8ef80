// What each account of the domain may do in the pool: submit jobs, work, or administer. The
// server does not use roles itself; it keeps them beside the accounts (an account's roles go with
// it) so the head node's manager can ask, and so that how an account was made decides its role:
// `kestrel user add` makes a submitter, an invite's registration a worker (docs/SECURITY.md).
import type { DatabaseSync } from 'node:sqlite';

import { XmppServerError } from './errors.ts';

export const ROLES = ['submitter', 'worker', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface AccountRoles {
  /** The account's roles, sorted; none for an unknown account. */
  of(username: string): Role[];
  /** Replaces the account's roles. */
  set(username: string, roles: readonly Role[]): void;
  /** Every account that has a role, with its roles. */
  all(): Map<string, Role[]>;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** `worker,submitter` → ['submitter', 'worker'], or a clear error naming the roles there are. */
export function parseRoles(text: string): Role[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const wrong = names.filter((name) => !isRole(name));
  if (wrong.length > 0 || names.length === 0) {
    throw new XmppServerError(
      'invalid_role',
      `roles are ${ROLES.join(', ')} (comma-separated); got ${JSON.stringify(text)}`,
    );
  }
  return [...new Set(names as Role[])].sort();
}

export function createAccountRoles(db: DatabaseSync): AccountRoles {
  const select = db.prepare('SELECT role FROM account_roles WHERE username = ? ORDER BY role');
  const clear = db.prepare('DELETE FROM account_roles WHERE username = ?');
  const insert = db.prepare('INSERT INTO account_roles (username, role) VALUES (?, ?)');
  const every = db.prepare('SELECT username, role FROM account_roles ORDER BY username, role');
  return {
    of(username) {
      return (select.all(username) as { role: string }[]).map((r) => r.role).filter(isRole);
    },
    set(username, roles) {
      db.exec('BEGIN');
      try {
        clear.run(username);
        for (const role of new Set(roles)) insert.run(username, role);
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    },
    all() {
      const map = new Map<string, Role[]>();
      for (const { username, role } of every.all() as { username: string; role: string }[]) {
        if (!isRole(role)) continue;
        const list = map.get(username) ?? [];
        list.push(role);
        map.set(username, list);
      }
      return map;
    },
  };
}
