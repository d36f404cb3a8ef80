import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createAccountStore } from '../../../../src-main/server/account-store.ts';
import {
  createSelfSignedCertificate,
  loadCertificate,
} from '../../../../src-main/server/certificate.ts';
import { openServerDatabase } from '../../../../src-main/server/database.ts';
import { createInviteStore } from '../../../../src-main/server/invites.ts';
import { silentLogger } from '../../../../src-main/common/log.ts';
import { createRosterStore } from '../../../../src-main/server/roster-store.ts';

let dir: string;
let db: DatabaseSync;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kestrel-server-unit-'));
  db = openServerDatabase(dir);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('account store', () => {
  it('refuses names that are invalid usernames or look like an existing account', async () => {
    const accounts = createAccountStore(db, { iterations: 4096 });
    await accounts.add('manager', 'pw-1');
    await accounts.add('admin', 'pw-2');
    for (const name of ['rnanager', 'MANAGER'.replace('A', 'А'), 'adm1n', 'àdmin']) {
      await expect(accounts.add(name, 'pw')).rejects.toMatchObject({
        code: expect.stringMatching(/^(confusable_username|invalid_username)$/),
      });
    }
    await expect(accounts.add('adm1n', 'pw')).rejects.toThrow(/looks too much like .*"admin"/);
    await expect(accounts.add('admin\u200b', 'pw')).rejects.toThrow(/invisible/);
    await expect(accounts.add('\u202emanager', 'pw')).rejects.toThrow(/bidirectional/);
    await expect(accounts.add('manager\\40kestrel.test', 'pw')).rejects.toThrow(/XEP-0106/);
    expect(() => accounts.checkNew('adm1n', 'pw')).toThrow(/looks too much like/);
    expect(accounts.checkNew('Worker-7', 'pw')).toBe('worker-7');
    expect(accounts.list()).toEqual(['admin', 'manager']);
  });

  it('adds the skeleton column to a version 1 database', () => {
    db.exec(`DROP INDEX accounts_skeleton; ALTER TABLE accounts DROP COLUMN skeleton;
      INSERT INTO accounts VALUES ('admin', x'00', 4096, x'00', x'00', x'00', x'00', 0);
      PRAGMA user_version = 1;`);
    db.close();
    db = openServerDatabase(dir);
    const accounts = createAccountStore(db, { iterations: 4096 });
    expect(() => accounts.checkNew('adm1n', 'pw')).toThrow(/looks too much like .*"admin"/);
  });

  it('removes an account stored under a name today’s rules refuse', () => {
    const accounts = createAccountStore(db, { iterations: 4096 });
    const legacy = 'manager\\40kestrel.test';
    db.prepare(
      `INSERT INTO accounts VALUES (?, x'00', 4096, x'00', x'00', x'00', x'00', 0, NULL)`,
    ).run(legacy);
    expect(accounts.list()).toEqual([legacy]);
    expect(accounts.remove(legacy)).toBe(true);
    expect(accounts.list()).toEqual([]);
  });

  it('adds, verifies, changes, lists and removes accounts without storing passwords', async () => {
    const accounts = createAccountStore(db, { iterations: 4096 });
    await accounts.add('Dora', 'pässwörd');
    await expect(accounts.add('dora', 'x')).rejects.toMatchObject({ code: 'account_exists' });
    await expect(accounts.add('bad name', 'x')).rejects.toMatchObject({ code: 'invalid_username' });
    await expect(accounts.add('eve', '')).rejects.toMatchObject({ code: 'invalid_password' });
    expect(await accounts.verify('DORA', 'pässwörd')).toBe(true);
    expect(await accounts.verify('dora', 'wrong')).toBe(false);
    await accounts.setPassword('dora', 'new one');
    expect(await accounts.verify('dora', 'new one')).toBe(true);
    await expect(accounts.setPassword('nobody', 'x')).rejects.toMatchObject({
      code: 'no_such_account',
    });
    expect(accounts.list()).toEqual(['dora']);
    const row = db.prepare('SELECT * FROM accounts').get() as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain('new one');
    expect(row.iterations).toBe(4096);
    expect(accounts.remove('dora')).toBe(true);
    expect(accounts.remove('dora')).toBe(false);
    expect(accounts.exists('dora')).toBe(false);
  });

  it('refuses fewer than 4096 PBKDF2 iterations', () => {
    expect(() => createAccountStore(db, { iterations: 1000 })).toThrow(/4096/);
  });
});

describe('invites', () => {
  it('are spent once, expire, and may name the username', () => {
    let now = 1_000_000;
    const invites = createInviteStore(db, () => now);
    const open = invites.create({ ttlMs: 60_000 });
    expect(invites.check(open.token)).toBe(true);
    expect(invites.consume(open.token, 'anyone')).toBe(true);
    expect(invites.consume(open.token, 'anyone')).toBe(false);
    const named = invites.create({ username: 'Worker-7' });
    expect(invites.check(named.token, 'someone-else')).toBe(false);
    expect(invites.consume(named.token, 'worker-7')).toBe(true);
    const late = invites.create({ ttlMs: 1_000 });
    now += 2_000;
    expect(invites.check(late.token)).toBe(false);
    const stored = db.prepare('SELECT token_hash FROM invites').all() as { token_hash: string }[];
    expect(stored.every((r) => r.token_hash !== late.token)).toBe(true);
  });
});

describe('roster store', () => {
  it('writes behind and reads back after reopening', async () => {
    await createAccountStore(db, { iterations: 4096 }).add('alice', 'pw');
    const store = createRosterStore(db, silentLogger);
    const roster = store.load('alice');
    roster.items.set('bob@kestrel.test', {
      subscription: 'to',
      ask: false,
      name: 'Bob',
      groups: ['Workers'],
    });
    roster.pending.set('carol@kestrel.test', '<presence type="subscribe"/>');
    store.save('alice', roster, 'bob@kestrel.test');
    store.save('alice', roster, 'carol@kestrel.test');
    expect(db.prepare('SELECT count(*) AS n FROM roster_items').get()).toEqual({ n: 0 }); // not yet
    await new Promise((resolve) => setImmediate(resolve));
    const again = createRosterStore(db, silentLogger).load('alice');
    expect(again.items.get('bob@kestrel.test')).toEqual({
      subscription: 'to',
      ask: false,
      name: 'Bob',
      groups: ['Workers'],
    });
    expect(again.pending.get('carol@kestrel.test')).toBe('<presence type="subscribe"/>');
    roster.items.delete('bob@kestrel.test');
    store.save('alice', roster, 'bob@kestrel.test');
    store.flush();
    expect(createRosterStore(db, silentLogger).load('alice').items.size).toBe(0);
  });
});

describe('self-signed certificate', () => {
  it('is a valid, self-verifying certificate for the domain', () => {
    const { cert } = createSelfSignedCertificate('pool.example.org');
    const x509 = new X509Certificate(cert);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkHost('pool.example.org')).toBe('pool.example.org');
    expect(x509.checkHost('other.example.org')).toBeUndefined();
    expect(x509.ca).toBe(true);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(Date.now() + 9 * 365 * 86_400_000);
  });

  it('is made once and kept in the data directory', () => {
    const first = loadCertificate('kestrel.test', join(dir, 'tls'));
    expect(first.generated).toBe(true);
    expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
    const second = loadCertificate('kestrel.test', join(dir, 'tls'));
    expect(second.generated).toBe(false);
    expect(second.certFile).toBe(first.certFile);
  });
});
