import { join } from 'node:path';
import { localOf } from '../../common/jid.ts';
import { newPassword, readHeadConfig } from '../../head/head-config.ts';
import { createAccountRoles, parseRoles, type Role } from '../../server/account-roles.ts';
import { createAccountStore } from '../../server/account-store.ts';
import { openServerDatabase } from '../../server/database.ts';
import type { Parsed } from '../args.ts';
import { CliError, EXIT } from '../errors.ts';
import { headDir } from './head.ts';

/**
 * `kestrel user add|remove|list|passwd|role`: the head node's accounts and their roles, in its
 * data directory. Works whether or not the head node is running (SQLite in WAL mode lets both
 * use the database; a running head sees role changes within seconds). A new account submits
 * jobs unless `--role` says otherwise; workers normally join by `kestrel invite`.
 */

const ACTIONS = ['add', 'remove', 'list', 'passwd', 'role'] as const;

/** `alice` or `alice@DOMAIN` (the head's own domain) → `alice`; another domain is an error. */
function accountName(given: string, domain: string | undefined): string {
  const at = given.lastIndexOf('@');
  if (at < 0) return given;
  const host = given.slice(at + 1).toLowerCase();
  if (domain === undefined || host !== domain)
    throw new CliError(
      `${given} is not an account of this head node${domain === undefined ? '' : ` (its domain is ${domain})`}: give the name alone or NAME@${domain ?? 'DOMAIN'}`,
      EXIT.usage,
    );
  return given.slice(0, at);
}

/** Roles from the command line, or a usage error that lists the roles there are. */
export function rolesArgument(text: string): Role[] {
  try {
    return parseRoles(text);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
}

export async function runUser(args: Parsed): Promise<number> {
  const [action, given0, rolesText] = args.positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new CliError(
      `usage: kestrel user add|remove|list|passwd|role [NAME] (got '${action ?? ''}')`,
      EXIT.usage,
    );
  }
  if (action !== 'list' && given0 === undefined)
    throw new CliError(`kestrel user ${action} needs a NAME`, EXIT.usage);
  if ((action === 'role') !== (rolesText !== undefined))
    throw new CliError(
      action === 'role'
        ? 'usage: kestrel user role NAME submitter,worker,admin'
        : `kestrel user ${action} takes one NAME`,
      EXIT.usage,
    );
  const dir = headDir(args);
  const head = readHeadConfig(dir);
  const name = given0 === undefined ? undefined : accountName(given0, head?.domain);
  if (name !== undefined && head !== undefined && localOf(head.manager.jid) === name) {
    throw new CliError(
      `${name} is the head node's own manager account: only the head node logs in with it`,
      EXIT.usage,
    );
  }
  const db = openServerDatabase(join(dir, 'server'));
  try {
    const accounts = createAccountStore(db);
    const roles = createAccountRoles(db);
    const print = (value: unknown, human: string) =>
      process.stdout.write(`${args.json ? JSON.stringify(value) : human}\n`);
    const given = typeof args.values.password === 'string' ? args.values.password : undefined;
    const asked = (text: unknown): Role[] | undefined =>
      typeof text === 'string' ? rolesArgument(text) : undefined;
    switch (action) {
      case 'list': {
        const all = roles.all();
        const rows = accounts.list().map((user) => ({ user, roles: all.get(user) ?? [] }));
        print(rows, rows.map((r) => `${r.user.padEnd(24)} ${r.roles.join(',') || '-'}`).join('\n'));
        return EXIT.ok;
      }
      case 'add':
      case 'passwd': {
        const username = name ?? '';
        const password = given ?? newPassword();
        let granted: Role[] = [];
        if (action === 'add') {
          granted = asked(args.values.role) ?? ['submitter'];
          if (accounts.exists(username))
            throw new CliError(`user ${username} exists already`, EXIT.failed);
          await accounts.add(username, password);
          roles.set(username, granted);
        } else {
          if (!accounts.exists(username)) throw new CliError(`no user ${username}`, EXIT.failed);
          await accounts.setPassword(username, password);
        }
        const shown = given === undefined ? `  password ${password}` : '';
        const what =
          action === 'add'
            ? `added ${username} (${granted.join(', ')})`
            : `changed the password of ${username}`;
        print(
          {
            user: username,
            ...(action === 'add' ? { roles: granted } : {}),
            ...(given === undefined ? { password } : {}),
          },
          `${what}${shown}`,
        );
        return EXIT.ok;
      }
      case 'role': {
        const username = name ?? '';
        if (!accounts.exists(username)) throw new CliError(`no user ${username}`, EXIT.failed);
        const granted = rolesArgument(rolesText ?? '');
        roles.set(username, granted);
        print({ user: username, roles: granted }, `${username} may now: ${granted.join(', ')}`);
        return EXIT.ok;
      }
      case 'remove': {
        if (!accounts.remove(name ?? '')) throw new CliError(`no user ${name ?? ''}`, EXIT.failed);
        print({ removed: name }, `removed ${name ?? ''}`);
        return EXIT.ok;
      }
    }
    return EXIT.usage;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`kestrel user ${action}: ${(error as Error).message}`, EXIT.failed);
  } finally {
    db.close();
  }
}
