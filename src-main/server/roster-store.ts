// Rosters in memory, persisted behind the scenes: reads come from a cache (loaded from SQLite
// on first use), writes are collected and committed in one transaction after the current
// turn of the event loop, so no stanza waits for the disk (RFC 6121 processing stays in RAM).
import type { DatabaseSync } from 'node:sqlite';

import type { Logger } from '../common/log.ts';
import { emptyRoster, type Roster, type Subscription } from './roster.ts';

export interface RosterStore {
  /** The roster of a local account (empty if it has none yet). Mutate it, then call save(). */
  load(owner: string): Roster;
  /** Schedules writing what `roster` (loaded for `owner`) says about `contact`. */
  save(owner: string, roster: Roster, contact: string): void;
  /** Drops the cached roster of a removed account (its rows go with the account). */
  forget(owner: string): void;
  /** Writes everything scheduled, now. */
  flush(): void;
}

interface ItemRow {
  contact: string;
  subscription: Subscription;
  ask: number;
  name: string | null;
  groups: string;
}

/** Cached rosters beyond this are evicted, least recently loaded first. */
const DEFAULT_CACHE_SIZE = 20_000;

export function createRosterStore(
  db: DatabaseSync,
  log: Logger,
  cacheSize = DEFAULT_CACHE_SIZE,
): RosterStore {
  const cache = new Map<string, Roster>();
  const dirty = new Map<string, { roster: Roster; contacts: Set<string> }>();
  let scheduled: NodeJS.Immediate | undefined;

  const sql = {
    items: db.prepare(
      'SELECT contact, subscription, ask, name, groups FROM roster_items WHERE owner = ?',
    ),
    pending: db.prepare('SELECT contact, stanza FROM roster_pending WHERE owner = ?'),
    upsertItem: db.prepare(
      `INSERT INTO roster_items (owner, contact, subscription, ask, name, groups) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (owner, contact) DO UPDATE SET subscription = excluded.subscription,
       ask = excluded.ask, name = excluded.name, groups = excluded.groups`,
    ),
    deleteItem: db.prepare('DELETE FROM roster_items WHERE owner = ? AND contact = ?'),
    upsertPending: db.prepare(
      `INSERT INTO roster_pending (owner, contact, stanza) VALUES (?, ?, ?)
       ON CONFLICT (owner, contact) DO UPDATE SET stanza = excluded.stanza`,
    ),
    deletePending: db.prepare('DELETE FROM roster_pending WHERE owner = ? AND contact = ?'),
  };

  function read(owner: string): Roster {
    const roster = emptyRoster();
    for (const row of sql.items.all(owner) as unknown as ItemRow[]) {
      roster.items.set(row.contact, {
        subscription: row.subscription,
        ask: row.ask === 1,
        name: row.name ?? undefined,
        groups: JSON.parse(row.groups) as string[],
      });
    }
    for (const row of sql.pending.all(owner) as { contact: string; stanza: string }[]) {
      roster.pending.set(row.contact, row.stanza);
    }
    return roster;
  }

  function writeOne(owner: string, roster: Roster, contact: string): void {
    const item = roster.items.get(contact);
    if (item) {
      const groups = JSON.stringify(item.groups);
      sql.upsertItem.run(
        owner,
        contact,
        item.subscription,
        item.ask ? 1 : 0,
        item.name ?? null,
        groups,
      );
    } else {
      sql.deleteItem.run(owner, contact);
    }
    const pending = roster.pending.get(contact);
    if (pending !== undefined) sql.upsertPending.run(owner, contact, pending);
    else sql.deletePending.run(owner, contact);
  }

  function flush(): void {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (dirty.size === 0) return;
    const batch = [...dirty];
    dirty.clear();
    db.exec('BEGIN');
    try {
      for (const [owner, { roster, contacts }] of batch) {
        for (const contact of contacts) {
          try {
            writeOne(owner, roster, contact);
          } catch (error) {
            // An account removed meanwhile (its rows are gone with it): nothing to keep.
            log.warn('roster write skipped', { owner, contact, error: String(error) });
          }
        }
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      log.error('roster write failed', { error: String(error) });
    }
  }

  return {
    load(owner) {
      let roster = cache.get(owner);
      if (roster) {
        cache.delete(owner); // re-insert: the Map's order is our LRU order
        cache.set(owner, roster);
        return roster;
      }
      roster = read(owner);
      cache.set(owner, roster);
      if (cache.size > cacheSize) {
        flush(); // an evicted roster must not take unsaved changes with it
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return roster;
    },
    save(owner, roster, contact) {
      if (!cache.has(owner)) cache.set(owner, roster); // evicted while the caller held it
      let entry = dirty.get(owner);
      if (!entry) {
        entry = { roster, contacts: new Set() };
        dirty.set(owner, entry);
      }
      entry.contacts.add(contact);
      scheduled ??= setImmediate(flush);
    },
    forget(owner) {
      dirty.delete(owner);
      cache.delete(owner);
    },
    flush,
  };
}
