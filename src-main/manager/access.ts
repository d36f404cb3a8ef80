import { bareJid, domainOf } from '../common/jid.ts';

/**
 * Who may do what. Each list holds bare JIDs (`alice@lab.example`) or whole domains
 * (`@lab.example` or `lab.example`). `roles`, when given, says what each account of the domain
 * may do (a head node keeps roles with its accounts): then only the roles and the lists count.
 * Without roles (a manager on someone else's XMPP server), by default every account of the
 * manager's own domain may submit and work, and nobody is an admin.
 */
export interface AccessOptions {
  domain: string;
  submitters?: readonly string[];
  workers?: readonly string[];
  admins?: readonly string[];
  /** The roles of an account of `domain`, by bare JID (`submitter`, `worker`, `admin`). */
  roles?: (bareJid: string) => readonly string[];
}

export interface AccessPolicy {
  canSubmit(jid: string): boolean;
  isWorker(jid: string): boolean;
  isAdmin(jid: string): boolean;
}

function matcher(entries: readonly string[]): (jid: string) => boolean {
  const jids = new Set<string>();
  const domains = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry.startsWith('@')) domains.add(entry.slice(1));
    else if (entry.includes('@')) jids.add(bareJid(entry));
    else domains.add(entry);
  }
  return (jid) => jids.has(bareJid(jid)) || domains.has(domainOf(jid));
}

export function createAccessPolicy(options: AccessOptions): AccessPolicy {
  const { domain, roles } = options;
  const fallback = roles === undefined ? [`@${domain}`] : [];
  const has = (jid: string, role: string): boolean =>
    roles !== undefined && domainOf(jid) === domain && roles(bareJid(jid)).includes(role);
  const admins = matcher(options.admins ?? []);
  const submitters = matcher(options.submitters ?? fallback);
  const workers = matcher(options.workers ?? fallback);
  const isAdmin = (jid: string) => admins(jid) || has(jid, 'admin');
  return {
    canSubmit: (jid) => isAdmin(jid) || submitters(jid) || has(jid, 'submitter'),
    isWorker: (jid) => workers(jid) || has(jid, 'worker'),
    isAdmin,
  };
}
