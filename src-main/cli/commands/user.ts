import { join } from 'node:path';
import { newPassword } from '../../head/head-config.ts';
import { createAccountStore } from '../../server/account-store.ts';
import { openServerDatabase } from '../../server/database.ts';
import type { Parsed } from '../args.ts';
import { CliError, EXIT } from '../errors.ts';
import { headDir } from './head.ts';

/**
 * `kestrel user add|remove|list|passwd`: the head node's accounts, in its data directory. Works
 * whether or not the head node is running (SQLite in WAL mode lets both use the database).
 */

const ACTIONS = ['add', 'remove', 'list', 'passwd'] as const;

export async function runUser(args: Parsed): Promise<number> {
  const [action, name] = args.positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new CliError(
      `usage: kestrel user add|remove|list|passwd [NAME] (got '${action ?? ''}')`,
      EXIT.usage,
    );
  }
  if (action !== 'list' && name === undefined)
    throw new CliError(`kestrel user ${action} needs a NAME`, EXIT.usage);
  const db = openServerDatabase(join(headDir(args), 'server'));
  try {
    const accounts = createAccountStore(db);
    const print = (value: unknown, human: string) =>
      process.stdout.write(`${args.json ? JSON.stringify(value) : human}\n`);
    const given = typeof args.values.password === 'string' ? args.values.password : undefined;
    switch (action) {
      case 'list': {
        const names = accounts.list();
        print(names, names.join('\n'));
        return EXIT.ok;
      }
      case 'add':
      case 'passwd': {
        const username = name ?? '';
        const password = given ?? newPassword();
        if (action === 'add') {
          if (accounts.exists(username))
            throw new CliError(`user ${username} exists already`, EXIT.failed);
          await accounts.add(username, password);
        } else {
          if (!accounts.exists(username)) throw new CliError(`no user ${username}`, EXIT.failed);
          await accounts.setPassword(username, password);
        }
        const shown = given === undefined ? `  password ${password}` : '';
        print(
          { user: username, ...(given === undefined ? { password } : {}) },
          `${action === 'add' ? 'added' : 'changed the password of'} ${username}${shown}`,
        );
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
