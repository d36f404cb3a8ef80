// One client's byte stream: a TCP socket, upgraded in place to TLS by STARTTLS (RFC 6120 §5).
// Writes made in one turn of the event loop leave together (corked until its check phase);
// a client that stops reading is cut off once too much is queued for it, so a frozen client
// cannot make the server buffer without bound.
import type net from 'node:net';
import tls from 'node:tls';

export interface TransportEvents {
  data(chunk: Buffer): void;
  /** Once, however the connection ended. */
  close(reason: string): void;
}

export interface Transport {
  readonly remoteAddress: string;
  readonly secure: boolean;
  /** Bytes queued but not yet accepted by the kernel. */
  readonly queued: number;
  write(text: string): void;
  /** Switches to TLS as the server side; data flows again once the handshake is done. */
  startTls(context: tls.SecureContext): void;
  /** Half-closes after queued data, then destroys the socket if the peer lingers. */
  end(lingerMs?: number): void;
  destroy(): void;
}

export interface TransportOptions {
  maxQueuedBytes: number;
}

export function createTransport(
  socket: net.Socket,
  events: TransportEvents,
  options: TransportOptions,
): Transport {
  let stream: net.Socket = socket;
  let secure = false;
  let corked = false;
  let closed = false;
  let lingerTimer: NodeJS.Timeout | undefined;

  const close = (reason: string) => {
    if (closed) return;
    closed = true;
    clearTimeout(lingerTimer);
    events.close(reason);
  };
  const onData = (chunk: Buffer) => events.data(chunk);
  const onError = (error: Error) => {
    stream.destroy();
    close(error.message);
  };
  const flush = () => {
    if (!corked) return;
    corked = false;
    stream.uncork();
  };

  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', () => close('connection closed'));

  return {
    remoteAddress: socket.remoteAddress ?? '',
    get secure() {
      return secure;
    },
    get queued() {
      return stream.writableLength;
    },
    write(text) {
      if (closed || stream.destroyed || !stream.writable) return;
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(flush);
      }
      stream.write(text);
      if (stream.writableLength > options.maxQueuedBytes) {
        stream.destroy();
        close(`client not reading (${stream.writableLength} bytes queued)`);
      }
    },
    startTls(context) {
      flush(); // <proceed/> leaves in clear before the socket is handed to TLS
      socket.off('data', onData);
      const upgraded = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
      upgraded.on('data', onData);
      upgraded.on('error', onError);
      upgraded.on('close', () => close('connection closed'));
      upgraded.on('secure', () => (secure = true));
      stream = upgraded;
    },
    end(lingerMs = 2_000) {
      if (closed) return;
      stream.end();
      lingerTimer = setTimeout(() => stream.destroy(), lingerMs);
      lingerTimer.unref();
    },
    destroy() {
      stream.destroy();
      close('closed by server');
    },
  };
}
