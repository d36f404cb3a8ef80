import type { AccountRoles } from '../server/account-roles.ts';
import { localOf } from '../common/jid.ts';

/**
 * The head node's manager asks for an account's roles on every worker message, so answers are
 * kept for a few seconds; `kestrel user add|role` in another process writes the same database,
 * and its change is seen once the cached answer expires.
 */
export function createRoleLookup(
  roles: AccountRoles,
  ttlMs = 5_000,
  now: () => number = Date.now,
): (bareJid: string) => readonly string[] {
  const cache = new Map<string, { roles: readonly string[]; at: number }>();
  return (jid) => {
    const at = now();
    const hit = cache.get(jid);
    if (hit !== undefined && at - hit.at < ttlMs) return hit.roles;
    // Bounded by the accounts that talk to the manager; drop everything rather than grow.
    if (cache.size >= 100_000) cache.clear();
    const found = roles.of(localOf(jid));
    cache.set(jid, { roles: found, at });
    return found;
  };
}
