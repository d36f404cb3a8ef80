import type { Logger } from '../common/log.ts';
import type { PresenceEvent, XmppConnection } from '../xmpp/connection.ts';
import type { Election } from './election.ts';

/**
 * A manager that shares its store waits here until it is the active one. It is online meanwhile,
 * with priority −1 so that nothing sent to the manager's bare JID reaches it (RFC 6121 §8.5.2.1.1:
 * only resources of non-negative priority get those) and a presence that says it is a standby, so
 * workers do not follow it. It keeps the latest presence of every contact: once it wins, the
 * scheduler starts from what the server told it (who is online, who is paused), since the server
 * sends a contact's presence only when it changes.
 */

export interface Standby {
  /** The epoch this manager won. */
  readonly epoch: number;
  /** The latest presence of every contact seen while waiting; stops collecting. */
  takePresence(): PresenceEvent[];
}

export interface StandbyOptions {
  connection: XmppConnection;
  election: Election;
  log: Logger;
  /** Resolves if the manager is told to stop while it waits. */
  stopped: Promise<unknown>;
}

/** Resolves once this manager won the election, or with undefined if it was stopped first. */
export async function waitAsStandby(options: StandbyOptions): Promise<Standby | undefined> {
  const { connection, election, log } = options;
  const seen = new Map<string, PresenceEvent>();
  let collecting = true;
  const onPresence = (event: PresenceEvent) => {
    if (collecting && event.from !== connection.jid) seen.set(event.from, event);
  };
  // Presence missed while offline is not known: after a reconnect the server sends it afresh.
  const onOffline = () => seen.clear();
  connection.on('presence', onPresence);
  connection.on('offline', onOffline);
  const takePresence = () => {
    collecting = false;
    connection.off('presence', onPresence);
    connection.off('offline', onOffline);
    return [...seen.values()];
  };

  await connection.setPresence(undefined, undefined, {
    priority: -1,
    manager: { role: 'standby' },
  });
  // Waiting for the lock and logging in at once: a manager that wins at once loses no time.
  const won = election.win();
  won.catch(() => undefined); // only rejects once closed, when nobody waits for it any more
  const stop = options.stopped.then(() => undefined);
  if ((await Promise.race([connection.start().then(() => true), stop])) === undefined) {
    takePresence();
    return undefined;
  }
  if (election.epoch === undefined) log.info('standby: waiting to become the active manager');
  const epoch = await Promise.race([won, stop]);
  if (epoch === undefined) {
    takePresence();
    return undefined;
  }
  log.info('won the election: taking over as the active manager', { epoch });
  return { epoch, takePresence };
}
