// Waiting for events of an XmppConnection in tests, with a deadline and the time it took.
import type { ConnectionEvents, XmppConnection } from '../../src-main/xmpp/connection.ts';

/** Resolves with the first `event` whose arguments satisfy `accept`. */
export function nextEvent<K extends keyof ConnectionEvents>(
  connection: XmppConnection,
  event: K,
  accept: (...args: ConnectionEvents[K]) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<ConnectionEvents[K]> {
  const emitter = connection as unknown as NodeJS.EventEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      const typed = args as ConnectionEvents[K];
      if (!accept(...typed)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(typed);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}
