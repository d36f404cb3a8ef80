// Closing a stream and its socket (RFC 6120 §4.4) without touching a later connection.
//
// @xmpp/connection 0.14's Connection#disconnect() writes </stream:stream>, waits up to
// `entity.timeout` for the server's, then ends the socket, and it reads `entity.parser` and
// `entity.socket` afresh after each wait. A server that drops the TCP connection without closing
// its stream leaves that wait pending while the socket is gone: ejabberd does so on shutdown
// (`<system-shutdown/>`, then FIN), and so does any server that crashes mid-stream. Meanwhile
// @xmpp/reconnect attaches a new socket and parser, and when the old wait times out, xmpp.js
// detaches the NEW parser and ends the NEW socket: every client went offline a second time 5 s
// after each ejabberd restart (measured: offline at +2 ms, back at +1.9 s, offline again at
// +5.0 s), and a `job_finished` sent in that gap bounced. Reported upstream as xmppjs/xmpp.js
// "disconnect() after a dropped socket closes the next connection".
//
// Ours is bound to the socket it began on: it finishes as soon as that socket closes, and it never
// detaches a parser or ends a socket that was attached after it began.
import net from 'node:net';

import type { Client, XmppSocket } from '@xmpp/client-core';

/** Replaces entity.disconnect() (used by stop(), stream errors and parser errors). */
export function installScopedDisconnect(entity: Client): void {
  entity.disconnect = () => disconnect(entity);
}

async function disconnect(entity: Client): Promise<unknown> {
  const { socket, parser } = entity;
  if (socket === null) return undefined; // already disconnected
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const timeout = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

  let element: unknown;
  try {
    // Writes </stream:stream> (unless already closing) and waits for the server's.
    element = await Promise.race([entity._closeStream(), closed]);
  } catch {
    // The footer could not be written, or the server did not close in time: close the socket.
  }
  if (parser !== null && entity.parser === parser) entity._detachParser();
  if (entity.socket !== socket) return element; // gone: its close listener said 'disconnect'

  entity._status('disconnecting');
  socket.end();
  await Promise.race([closed, timeout(entity.timeout)]);
  // A server that neither answers the FIN nor closes keeps the connection half-open: cut it.
  if (entity.socket === socket) tcpSocketOf(socket)?.destroy();
  await closed;
  return element;
}

/** The net.Socket under an xmpp.js socket (direct TLS wraps a TLSSocket in an EventEmitter). */
export function tcpSocketOf(socket: unknown): net.Socket | undefined {
  if (socket instanceof net.Socket) return socket;
  const inner = (socket as XmppSocket | null)?.socket;
  return inner instanceof net.Socket ? inner : undefined;
}
