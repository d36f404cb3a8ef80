import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccountRoles, parseRoles } from '../../../../src-main/server/account-roles.ts';
import { createAccountStore } from '../../../../src-main/server/account-store.ts';
import { openServerDatabase } from '../../../../src-main/server/database.ts';
import { createInviteStore } from '../../../../src-main/server/invites.ts';

let dir: string;
let db: DatabaseSync;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kestrel-roles-unit-'));
  db = openServerDatabase(dir);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('account roles', () => {
  it('keeps roles with the account, and drops them with it', async () => {
    const accounts = createAccountStore(db, { iterations: 4096 });
    const roles = createAccountRoles(db);
    await accounts.add('alice', 'pw');
    expect(roles.of('alice')).toEqual([]);
    roles.set('alice', ['worker', 'submitter', 'worker']);
    expect(roles.of('alice')).toEqual(['submitter', 'worker']);
    expect(roles.all()).toEqual(new Map([['alice', ['submitter', 'worker']]]));
    accounts.remove('alice');
    expect(roles.of('alice')).toEqual([]);
  });

  it('reads role lists people type, and says which roles there are', () => {
    expect(parseRoles(' Worker , submitter ')).toEqual(['submitter', 'worker']);
    expect(() => parseRoles('root')).toThrow(/roles are submitter, worker, admin/);
    expect(() => parseRoles('')).toThrow(/roles are/);
  });

  it('an invite grants a worker unless it says otherwise', () => {
    const invites = createInviteStore(db);
    const worker = invites.create();
    const person = invites.create({ roles: ['submitter'] });
    expect(invites.rolesOf(worker.token)).toEqual(['worker']);
    expect(invites.rolesOf(person.token)).toEqual(['submitter']);
  });

  it('accounts made before roles existed keep what they could do: submit and work', () => {
    db.exec(`DROP TABLE account_roles; ALTER TABLE invites DROP COLUMN roles;
      INSERT INTO accounts VALUES ('old', x'00', 4096, x'00', x'00', x'00', x'00', 0, 'old');
      PRAGMA user_version = 2;`);
    db.close();
    db = openServerDatabase(dir);
    expect(createAccountRoles(db).of('old')).toEqual(['submitter', 'worker']);
  });
});
