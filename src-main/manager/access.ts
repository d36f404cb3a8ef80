import { bareJid, domainOf } from '../common/jid.ts';

/**
 * Who may do what. Each list holds bare JIDs (`alice@lab.example`) or whole domains
 * (`@lab.example` or `lab.example`). By default only accounts of the manager's own domain may submit
 * or work, and nobody is an admin.
 */
export interface AccessOptions {
  domain: string;
  submitters?: readonly string[];
  workers?: readonly string[];
  admins?: readonly string[];
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
  const own = [`@${options.domain}`];
  const admin = matcher(options.admins ?? []);
  const submit = matcher(options.submitters ?? own);
  const work = matcher(options.workers ?? own);
  return {
    canSubmit: (jid) => admin(jid) || submit(jid),
    isWorker: work,
    isAdmin: admin,
  };
}
