// The chaos driver's TCP proxy on loopback: it forwards both ways, holds every byte while frozen
// and delivers them on thaw, and while cut drops its connections and refuses new ones.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { startTcpProxy, type TcpProxy } from '../../chaos/tcp-proxy.ts';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An echo server that prefixes what it sends back, so both directions are visible. */
async function echoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => s.write(`echo:${d.toString()}`));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return (server.address() as net.AddressInfo).port;
}

function connect(port: number): Promise<{ socket: net.Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect(port, '127.0.0.1', () => resolve({ socket, received: () => text }));
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', reject);
    closers.push(() => socket.destroy());
  });
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await startTcpProxy(port);
  closers.push(() => proxy.close());
  return proxy;
}

describe('tcp proxy', () => {
  it('forwards, holds everything while frozen, and delivers it on thaw', async () => {
    const proxy = await proxyTo(await echoServer());
    const client = await connect(proxy.port);
    client.socket.write('a');
    await until(() => client.received() === 'echo:a');
    proxy.freeze();
    client.socket.write('b');
    await new Promise((r) => setTimeout(r, 300));
    expect(client.received()).toBe('echo:a');
    expect(client.socket.destroyed).toBe(false);
    proxy.thaw();
    await until(() => client.received() === 'echo:aecho:b');
    expect(proxy.accepted).toBe(1);
  });

  it('drops connections when cut, refuses new ones until restored', async () => {
    const proxy = await proxyTo(await echoServer());
    const client = await connect(proxy.port);
    const closed = new Promise((r) => client.socket.once('close', r));
    proxy.cut();
    await closed;
    const refused = await connect(proxy.port);
    await until(() => refused.socket.destroyed || refused.socket.readyState === 'closed');
    proxy.restore();
    const again = await connect(proxy.port);
    again.socket.write('c');
    await until(() => again.received() === 'echo:c');
  });
});
