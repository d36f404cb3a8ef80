import { randomUUID } from 'node:crypto';
import { bareJid, domainOf, localOf } from '../common/jid.ts';
import { createConnection, type XmppConnection } from '../xmpp/connection.ts';
import { serviceUrls, type Config } from '../common/config.ts';
import { CliError, EXIT } from './errors.ts';
import { loginFailure } from './login-failure.ts';

/** A short-lived user session with the manager: send a command, wait for the matching reply. */

export type Reply = Record<string, unknown> & { type: string };

export interface ManagerSession {
  readonly connection: XmppConnection;
  request(
    message: Record<string, unknown>,
    accept: (reply: Reply) => boolean,
    timeoutMs?: number,
  ): Promise<Reply>;
  /** Calls `listener` for every JSON message from the manager until the session closes. */
  onReply(listener: (reply: Reply) => void): void;
  close(): Promise<void>;
}

function parseReply(body: string): Reply | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (
      value &&
      typeof value === 'object' &&
      typeof (value as { type?: unknown }).type === 'string'
    )
      return value as Reply;
  } catch {
    // Not JSON: not a reply of ours.
  }
  return undefined;
}

export async function openSession(
  config: Config & { jid: string; password: string; manager: string; server: string },
): Promise<ManagerSession> {
  const connection = createConnection({
    service: serviceUrls(config.server),
    domain: domainOf(config.jid),
    username: localOf(config.jid),
    password: config.password,
    resource: `cli-${randomUUID().slice(0, 8)}`,
    reconnect: false,
    pin: config.pin,
    allowPlaintext: config.allowPlaintext,
  });
  const manager = bareJid(config.manager);
  const listeners = new Set<(reply: Reply) => void>();
  let managerGone: ((reason: string) => void) | undefined;
  connection.on('message', ({ from, body }) => {
    if (bareJid(from) !== manager) return;
    const reply = parseReply(body);
    if (reply) for (const listener of listeners) listener(reply);
  });
  connection.on('message_error', ({ from, condition }) => {
    if (bareJid(from) === manager)
      managerGone?.(`the manager ${manager} is not online (${condition})`);
  });
  connection.on('error', () => undefined);
  try {
    await connection.start();
  } catch (error) {
    throw loginFailure(error, config);
  }

  return {
    connection,
    request(message, accept, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(listener);
          managerGone = undefined;
        };
        const listener = (reply: Reply) => {
          if (!accept(reply)) return;
          done();
          resolve(reply);
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new CliError(
              `no answer from ${manager} within ${timeoutMs / 1000} s (is the manager running?)`,
              EXIT.connection,
            ),
          );
        }, timeoutMs);
        managerGone = (reason) => {
          done();
          reject(new CliError(reason, EXIT.connection));
        };
        listeners.add(listener);
        connection.sendJson(manager, message).catch((error: unknown) => {
          done();
          reject(new CliError(`could not send to ${manager}: ${String(error)}`, EXIT.connection));
        });
      });
    },
    onReply(listener) {
      listeners.add(listener);
    },
    close: () => connection.stop(),
  };
}
