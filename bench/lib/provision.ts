// Accounts and rosters for thousands of simulated workers. Through XMPP, a worker's first login
// subscribes it to the manager (docs/PROTOCOL.md: mutual subscription), and Prosody rewrites the
// manager's whole roster for every change (rostermanager.save_roster → map:set_keys on a keyval
// store), so enrolling N new workers costs O(N²). A pool that already exists has those
// subscriptions: for Prosody we write them straight into its data directory (internal storage,
// read at each login), with SCRAM credentials computed here. Other servers get accounts through
// their own createAccount and subscribe on first login.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProsody } from '../../test/harness/prosody.ts';
import type { BenchServer } from './servers.ts';
import { PASSWORD } from './sim-pool.ts';
import type { SimAccount } from './sim-protocol.ts';

/** RFC 7677 §4: at least 4096; Prosody's own default is 10000. */
const ITERATIONS = 4096;
const SALT = 'kestrel-bench-salt';

/** Prosody's datamanager file names: every byte outside [A-Za-z0-9] as %xx. */
const encode = (s: string) =>
  s.replace(/[^A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function scramCredentials(password: string): string {
  const salted = pbkdf2Sync(password, SALT, ITERATIONS, 20, 'sha1');
  const clientKey = createHmac('sha1', salted).update('Client Key').digest();
  const storedKey = createHash('sha1').update(clientKey).digest('hex');
  const serverKey = createHmac('sha1', salted).update('Server Key').digest('hex');
  return `return {\n\t["iteration_count"] = ${ITERATIONS};\n\t["stored_key"] = "${storedKey}";\n\t["server_key"] = "${serverKey}";\n\t["salt"] = "${SALT}";\n};\n`;
}

function roster(contacts: string[]): string {
  const items = contacts.map(
    (jid) => `\t["${jid}"] = {\n\t\t["groups"] = {};\n\t\t["subscription"] = "both";\n\t};\n`,
  );
  return `return {\n\t[false] = {\n\t\t["version"] = 1;\n\t\t["pending"] = {};\n\t};\n${items.join('')}};\n`;
}

const isProsody = (server: BenchServer): server is BenchServer & TestProsody =>
  server.kind === 'prosody' && 'dir' in server;

export interface AccountGroup {
  prefix: string;
  count: number;
  /** Subscribed both ways to the manager (workers), or not at all (echo clients). */
  subscribed: boolean;
}

export interface Provisioned {
  accounts: Map<string, SimAccount[]>;
  /** True when the manager's roster was written: restart the manager for Prosody to read it. */
  rosterWritten: boolean;
}

/** Every account the run needs, in one go: the manager's roster is written once, whole. */
export async function provision(
  server: BenchServer,
  managerLocal: string,
  groups: AccountGroup[],
): Promise<Provisioned> {
  const accounts = new Map<string, SimAccount[]>();
  for (const g of groups) {
    const list = Array.from({ length: g.count }, (_, i) => ({
      username: `${g.prefix}-${i}`,
      password: PASSWORD,
      resource: `${g.prefix}-${i}`,
    }));
    accounts.set(g.prefix, list);
  }
  if (!isProsody(server)) {
    const users = [...accounts.values()].flat().map((a) => a.username);
    await server.createAccounts(users, PASSWORD);
    return { accounts, rosterWritten: false };
  }
  const data = join(server.dir, 'data', encode(server.domain));
  await mkdir(join(data, 'accounts'), { recursive: true });
  await mkdir(join(data, 'roster'), { recursive: true });
  const credentials = scramCredentials(PASSWORD);
  const managerJid = `${managerLocal}@${server.domain}`;
  const subscribedRoster = roster([managerJid]);
  const contacts: string[] = [];
  for (const g of groups) {
    for (const a of accounts.get(g.prefix) ?? []) {
      await writeFile(join(data, 'accounts', `${encode(a.username)}.dat`), credentials);
      if (!g.subscribed) continue;
      await writeFile(join(data, 'roster', `${encode(a.username)}.dat`), subscribedRoster);
      contacts.push(`${a.username}@${server.domain}`);
    }
  }
  await writeFile(join(data, 'roster', `${encode(managerLocal)}.dat`), roster(contacts));
  return { accounts, rosterWritten: true };
}
