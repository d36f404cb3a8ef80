// A TCP proxy on 127.0.0.1 between one worker and the XMPP server, so the chaos driver can take
// that worker's network away without touching the worker: `freeze` stops every byte in both
// directions while the connection stays open (a stalled route, a suspended NAT box), `cut` drops
// the connection and refuses new ones (a cable pulled) until `restore`.
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections through the proxy since it started. */
  readonly accepted: number;
  freeze(): void;
  thaw(): void;
  cut(): void;
  restore(): void;
  /**
   * Hands every client `bytes` as if from the server, then, once the client answers, closes its
   * connection without closing the stream: how ejabberd shuts down (`<system-shutdown/>`, the
   * client's `</stream:stream>`, then FIN). New connections pass.
   */
  dropStreams(bytes: string): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let frozen = false;
  let cut = false;
  let accepted = 0;

  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', end);
      socket.on('close', end);
    }
    // Not pipe(): a frozen pair must hold bytes back in both directions, which pause() does.
    client.on('data', (chunk) => {
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('data', (chunk) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => frozen || upstream.resume());
    upstream.on('drain', () => frozen || client.resume());
    if (frozen) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('proxy has no port');

  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    freeze() {
      frozen = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const { client, upstream } of pairs) {
        client.resume();
        upstream.resume();
      }
    },
    cut() {
      cut = true;
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      cut = false;
    },
    dropStreams(bytes) {
      for (const { client, upstream } of pairs) {
        client.removeAllListeners('data');
        upstream.removeAllListeners('close').destroy();
        // The client answers a stream error with </stream:stream>; the server then drops the
        // connection without closing its own stream.
        client.once('data', () => client.destroy());
        client.write(bytes);
      }
      pairs.clear();
    },
    close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
