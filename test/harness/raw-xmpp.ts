// A raw XMPP socket for tests that must send what no client library would: malformed XML,
// DTDs, oversized stanzas, stanzas before login, spoofed addresses. It logs in with SASL PLAIN
// (the embedded server allows it on loopback) when asked.
import net from 'node:net';

export interface RawClient {
  send(text: string): void;
  /** Everything received so far. */
  received(): string;
  /** Resolves with everything received once `pattern` matches it. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves once the server has closed the connection. */
  closed: Promise<void>;
  destroy(): void;
}

export function streamHeader(domain: string): string {
  return (
    `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' ` +
    `xmlns:stream='http://etherx.jabber.org/streams'>`
  );
}

export function rawConnect(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const waiters = new Set<() => void>();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      for (const check of waiters) check();
    });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        send: (data) => void socket.write(data),
        received: () => text,
        closed,
        destroy: () => socket.destroy(),
        waitFor(pattern, timeoutMs = 5_000) {
          return new Promise((done, fail) => {
            const check = () => {
              if (!pattern.test(text)) return;
              waiters.delete(check);
              clearTimeout(timer);
              done(text);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(
                new Error(`no ${pattern} within ${timeoutMs} ms; received: ${text.slice(-2000)}`),
              );
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
      }),
    );
  });
}

/** Opens a stream, logs in with PLAIN, binds `resource` and sends initial presence. */
export async function rawLogin(
  port: number,
  domain: string,
  user: string,
  password: string,
  resource: string,
): Promise<RawClient> {
  const client = await rawConnect(port);
  client.send(streamHeader(domain));
  await client.waitFor(/<\/stream:features>/);
  const plain = Buffer.from(`\0${user}\0${password}`).toString('base64');
  client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`);
  await client.waitFor(/<success/);
  client.send(streamHeader(domain));
  await client.waitFor(/<bind xmlns/);
  client.send(
    `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
      `<resource>${resource}</resource></bind></iq>`,
  );
  await client.waitFor(/<\/jid>/);
  client.send('<presence/>');
  return client;
}
