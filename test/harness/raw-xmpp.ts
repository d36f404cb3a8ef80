// A raw XMPP socket for tests that must send what no client library would: malformed XML,
// DTDs, oversized stanzas, stanzas before login, spoofed addresses. It logs in with SASL PLAIN
// (the embedded server allows it on loopback) when asked.
import net from 'node:net';

export interface RawClient {
  send(text: string): void;
  /** Half-closes: the server sees the end of the stream's bytes after what was sent. */
  end(): void;
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

export interface RawConnectOptions {
  /** The source address, e.g. '127.0.0.2': every 127.x address is this host's loopback. */
  localAddress?: string;
}

export function rawConnect(port: number, options: RawConnectOptions = {}): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: options.localAddress });
    let text = '';
    const waiters = new Set<() => void>();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      for (const check of waiters) check();
    });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', reject);
    socket.once('connect', () => {
      // From now on a reset (a refused connection) shows as `closed`, not as an error.
      socket.on('error', () => undefined);
      resolve({
        send: (data) => void socket.write(data),
        end: () => void socket.end(),
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
      });
    });
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
  const client = await rawStream(port, domain);
  await loginOn(client, domain, user, password, resource);
  return client;
}

/** On a stream with its features received: PLAIN login, bind, initial presence. */
export async function loginOn(
  client: RawClient,
  domain: string,
  user: string,
  password: string,
  resource: string,
): Promise<void> {
  client.send(plainAuth(user, password));
  await client.waitFor(/<success/);
  client.send(streamHeader(domain));
  await client.waitFor(/<bind xmlns/);
  client.send(
    `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
      `<resource>${resource}</resource></bind></iq>`,
  );
  await client.waitFor(/<\/jid>/);
  client.send('<presence/>');
}

/**
 * Connects and opens a stream: 'accepted' once the server sends its features, 'refused' if it
 * closes the connection without a byte (a connection limit).
 */
export async function connectOutcome(
  port: number,
  domain: string,
  options: RawConnectOptions = {},
): Promise<{ outcome: 'accepted' | 'refused'; client: RawClient }> {
  const client = await rawConnect(port, options);
  client.send(streamHeader(domain));
  const features = client.waitFor(/<\/stream:features>/, 10_000).then(() => 'accepted' as const);
  const closed = client.closed.then(() => 'refused' as const);
  const outcome = await Promise.race([features, closed]);
  features.catch(() => undefined);
  if (outcome === 'refused' && client.received() !== '') {
    throw new Error(`closed after sending ${client.received().slice(0, 200)}`);
  }
  return { outcome, client };
}

/** Opens a stream and waits for its features (the server accepted the connection). */
export async function rawStream(
  port: number,
  domain: string,
  options: RawConnectOptions = {},
): Promise<RawClient> {
  const client = await rawConnect(port, options);
  client.send(streamHeader(domain));
  await client.waitFor(/<\/stream:features>/);
  return client;
}

export function plainAuth(user: string, password: string): string {
  const plain = Buffer.from(`\0${user}\0${password}`).toString('base64');
  return `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`;
}

/** Sends a PLAIN login on an open stream: 'success' or the SASL failure condition. */
export async function tryLogin(client: RawClient, user: string, password: string): Promise<string> {
  const before = client.received().length;
  client.send(plainAuth(user, password));
  const pattern = /<success[\s\S]*?(\/>|<\/success>)|<failure[\s\S]*?<\/failure>/;
  await client.waitFor(new RegExp(`^[\\s\\S]{${before}}[\\s\\S]*?(${pattern.source})`));
  const reply = pattern.exec(client.received().slice(before))?.[0] ?? '';
  if (reply.startsWith('<success')) return 'success';
  return /<failure[^>]*>\s*<([a-z-]+)/.exec(reply)?.[1] ?? reply;
}
