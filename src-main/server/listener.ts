// The TCP listener: accepts client connections (Nagle off, TCP keepalive on) and, on close,
// stops accepting, lets the sessions say goodbye, then cuts whatever is still connected.
import net from 'node:net';

import { XmppServerError } from './errors.ts';

export interface Listener {
  readonly port: number;
  /** Stops accepting; resolves once every connection is gone (forced after `graceMs`). */
  close(graceMs: number): Promise<void>;
}

export function listen(
  host: string,
  port: number,
  onSocket: (socket: net.Socket) => void,
): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(
    { noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 },
    (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      onSocket(socket);
    },
  );

  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new XmppServerError('listen_failed', `cannot listen on ${host}:${port}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    server.listen({ host, port, backlog: 1024 }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        port: bound,
        close(graceMs) {
          return new Promise<void>((done) => {
            const timer = setTimeout(() => {
              for (const socket of sockets) socket.destroy();
            }, graceMs);
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            if (sockets.size === 0) clearTimeout(timer);
          });
        },
      });
    });
  });
}
