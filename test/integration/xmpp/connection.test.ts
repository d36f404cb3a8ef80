// createConnection against a real XMPP server (KESTREL_TEST_SERVER, Prosody by default).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createConnection,
  type ConnectionOptions,
  type XmppConnection,
} from '../../../src-main/xmpp/connection.ts';
import type { XmppError } from '../../../src-main/xmpp/errors.ts';
import { startTcpProxy, type TcpProxy } from '../../chaos/tcp-proxy.ts';
import { nextEvent } from '../../harness/connection-events.ts';
import { freePort } from '../../harness/free-port.ts';
import { startTestServer, uniqueUser, type TestXmppServer } from '../../harness/xmpp-server.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/xmpp-client.ts', import.meta.url));
const PASSWORD = 'correct horse';

let server: TestXmppServer;
const connections: XmppConnection[] = [];
const children: ChildProcess[] = [];
const proxies: TcpProxy[] = [];
const backgroundErrors: XmppError[] = [];

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(connections.map((c) => c.stop()));
  await server?.stop();
});

async function newAccount(prefix: string): Promise<{ username: string; password: string }> {
  const username = uniqueUser(prefix);
  await server.createAccount(username, PASSWORD);
  return { username, password: PASSWORD };
}

function bare(account: { username: string }): string {
  return `${account.username}@${server.domain}`;
}

function connect(
  account: { username: string; password: string },
  extra: Partial<
    Pick<ConnectionOptions, 'resource' | 'acceptSubscription' | 'replacedBackoffMs'>
  > = {},
): XmppConnection {
  const connection = createConnection({
    service: server.service,
    domain: server.domain,
    ...account,
    ...extra,
  });
  connection.on('error', (error) => backgroundErrors.push(error));
  connections.push(connection);
  return connection;
}

/** Starts the fixture client in its own process; resolves with its full JID once online. */
async function spawnPeer(
  account: { username: string; password: string },
  subscribeTo: string,
): Promise<{ child: ChildProcess; jid: string }> {
  const config = { service: server.service, domain: server.domain, ...account, subscribeTo };
  const child = spawn(process.execPath, [FIXTURE, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const jid = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (line: string) => {
      const match = /^online (\S+)/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  return { child, jid };
}

describe('XMPP connection', () => {
  it('exchanges JSON messages both ways', async () => {
    const alice = connect(await newAccount('alice'));
    const bob = connect(await newAccount('bob'));
    await Promise.all([alice.start(), bob.start()]);
    expect(alice.jid).toMatch(new RegExp(`^alice-[0-9a-f]+@${server.domain}/.+`));

    const atBob = nextEvent(bob, 'message');
    await alice.sendJson(bob.jid ?? '', { type: 'status', job_id: 317 });
    const [fromAlice] = await atBob;
    expect(fromAlice.from).toBe(alice.jid);
    expect(JSON.parse(fromAlice.body)).toEqual({ type: 'status', job_id: 317 });

    const atAlice = nextEvent(alice, 'message');
    await bob.sendJson(fromAlice.from, { type: 'job_started', job_id: 483 });
    const [fromBob] = await atAlice;
    expect(fromBob.from).toBe(bob.jid);
    expect(JSON.parse(fromBob.body)).toEqual({ type: 'job_started', job_id: 483 });
  });

  it('reports a message to an offline account as a message error', async () => {
    const alice = connect(await newAccount('alice'));
    const offline = await newAccount('offline');
    await alice.start();
    const bounced = nextEvent(alice, 'message_error');
    const id = await alice.sendText(bare(offline), 'anyone there?');
    const [error] = await bounced;
    // RFC 6120 §8.3.1: the error names the message it answers by its id.
    expect(error).toEqual({ from: bare(offline), condition: 'service-unavailable', id });
  });

  it('rejects a wrong password with auth_failed and a missing server with connect_failed', async () => {
    const account = await newAccount('carol');
    const wrong = connect({ ...account, password: 'wrong' });
    await expect(wrong.start()).rejects.toMatchObject({ code: 'auth_failed' });

    const nowhere = createConnection({
      service: `xmpp://127.0.0.1:${await freePort()}`,
      domain: server.domain,
      ...account,
    });
    await expect(nowhere.start()).rejects.toMatchObject({ code: 'connect_failed' });
    await nowhere.stop();
  });

  it('auto-approves a mutual subscription so a later login sees presence at once', async () => {
    const managerAccount = await newAccount('manager');
    const workerAccount = await newAccount('worker');
    const accept = (jid: string) => jid === bare(managerAccount) || jid === bare(workerAccount);
    const manager = connect(managerAccount, { acceptSubscription: accept });
    const worker = connect(workerAccount, { acceptSubscription: accept });
    await Promise.all([manager.start(), worker.start()]);

    const managerSeesWorker = nextEvent(manager, 'presence', (p) => p.from === worker.jid);
    const workerSeesManager = nextEvent(worker, 'presence', (p) => p.from === manager.jid);
    await worker.subscribe(bare(managerAccount));
    expect((await managerSeesWorker)[0]).toEqual({ from: worker.jid, available: true });
    expect((await workerSeesManager)[0].available).toBe(true);

    // A second manager process logging in later gets the worker's presence right after its
    // initial presence, because the subscription is in the roster now (RFC 6121 §4.2.2).
    const later = connect(managerAccount, { resource: 'later' });
    const laterSeesWorker = nextEvent(later, 'presence', (p) => p.from === worker.jid, 2_000);
    await worker.setPresence('dnd', 'busy');
    await later.start();
    const started = performance.now();
    const [presence] = await laterSeesWorker;
    console.log(`presence after login: ${(performance.now() - started).toFixed(1)} ms`);
    expect(presence).toEqual({ from: worker.jid, available: true, show: 'dnd' });
  });

  it('hands on presence that came while logging in only once online, so it can be answered', async () => {
    const managerAccount = await newAccount('manager');
    const workerAccount = await newAccount('worker');
    const accept = (jid: string) => jid === bare(managerAccount) || jid === bare(workerAccount);
    const manager = connect(managerAccount, { acceptSubscription: accept });
    const first = connect(workerAccount, { acceptSubscription: accept });
    await Promise.all([manager.start(), first.start()]);
    const subscribed = nextEvent(first, 'presence', (p) => p.from === manager.jid && p.available);
    await first.subscribe(bare(managerAccount));
    await subscribed;
    await first.stop();

    // The server sends the manager's presence right after the worker's initial presence, before
    // the login is over: the worker answers it at once, as a worker sends its profile.
    const worker = connect(workerAccount, { acceptSubscription: accept, resource: 'again' });
    const answered: Promise<string>[] = [];
    worker.on('presence', (p) => {
      if (p.from === manager.jid && p.available) answered.push(worker.sendText(p.from, 'profile'));
    });
    const heard = nextEvent(manager, 'message', (m) => m.from === worker.jid);
    await worker.start();
    expect((await heard)[0].body).toBe('profile');
    // Every answer was sent once online: none refused as not_online. (The server may say the
    // manager is available twice while the first login's subscription settles.)
    expect(answered.length).toBeGreaterThanOrEqual(1);
    for (const sent of answered) await expect(sent).resolves.toEqual(expect.any(String));
  });

  it('sees a SIGKILLed peer go unavailable', async () => {
    const observerAccount = await newAccount('observer');
    const observer = connect(observerAccount, { acceptSubscription: () => true });
    await observer.start();
    const peerOnline = nextEvent(observer, 'presence', (p) => p.available, 10_000);
    const { child, jid } = await spawnPeer(await newAccount('peer'), bare(observerAccount));
    expect((await peerOnline)[0].from).toBe(jid);

    const gone = nextEvent(observer, 'presence', (p) => p.from === jid && !p.available, 10_000);
    const killedAt = performance.now();
    child.kill('SIGKILL');
    await gone;
    console.log(`unavailable after SIGKILL: ${(performance.now() - killedAt).toFixed(1)} ms`);
  });

  it('gets no ping answer from a SIGSTOPped peer', async () => {
    const observerAccount = await newAccount('observer');
    const observer = connect(observerAccount, { acceptSubscription: () => true });
    await observer.start();
    const peerOnline = nextEvent(observer, 'presence', (p) => p.available, 10_000);
    const { child, jid } = await spawnPeer(await newAccount('peer'), bare(observerAccount));
    await peerOnline;

    expect(await observer.ping(jid, 2_000)).toBe(true);
    child.kill('SIGSTOP');
    try {
      expect(await observer.ping(jid, 1_000)).toBe(false);
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });

  it('after another login takes over its resource, waits its backoff and logs in again', async () => {
    const account = await newAccount('twin');
    const first = connect(account, { resource: 'same', replacedBackoffMs: 300 });
    await first.start();
    const replaced = nextEvent(first, 'offline');
    const second = connect(account, { resource: 'same' });
    await second.start();
    expect((await replaced)[0].reason).toMatch(/another login took over/);
    expect(backgroundErrors.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/another login took over this resource; logging in again in \d+ s/),
    );
    // The first is not switched off for good: it takes its resource back once its backoff ends,
    // and the second (default backoff 30 s) waits in turn instead of kicking it straight out.
    const secondOut = nextEvent(second, 'offline');
    const [back] = await nextEvent(first, 'online');
    expect(back).toMatchObject({ reconnected: true });
    expect((await secondOut)[0].reason).toMatch(/another login took over/);
    await second.stop();
    expect(await first.ping(first.jid ?? '', 1_000)).toBe(true);
  });

  it('a server that drops a stream without closing it does not take the next connection down', async () => {
    // ejabberd's shutdown, through a proxy: <system-shutdown/>, then FIN, no </stream:stream>.
    // xmpp.js went on waiting streamTimeoutMs for the server's </stream:stream>, then detached
    // the parser and ended the socket of the connection made meanwhile.
    const proxy = await startTcpProxy(Number(new URL(server.service).port));
    proxies.push(proxy);
    const streamTimeoutMs = 1_500;
    const account = await newAccount('dropped');
    const connection = createConnection({
      service: `xmpp://127.0.0.1:${proxy.port}`,
      domain: server.domain,
      ...account,
      streamTimeoutMs,
    });
    connection.on('error', (error) => backgroundErrors.push(error));
    connections.push(connection);
    await connection.start();
    const lost = nextEvent(connection, 'offline');
    const back = nextEvent(connection, 'online');
    proxy.dropStreams(
      "<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
    );
    expect((await lost)[0].reason).toMatch(/system-shutdown/);
    expect((await back)[0]).toMatchObject({ reconnected: true });
    const offline: string[] = [];
    connection.on('offline', ({ reason }) => offline.push(reason));
    // Not a speed check: the window in which the old close would have cut the new connection.
    await new Promise((resolve) => setTimeout(resolve, 2 * streamTimeoutMs));
    expect(offline).toEqual([]);
    expect(await connection.ping(connection.jid ?? '', 2_000)).toBe(true);
  });

  it('comes back online by itself after the server restarts, roster intact', async () => {
    const aliceAccount = await newAccount('alice');
    const bobAccount = await newAccount('bob');
    const accept = () => true;
    const alice = connect(aliceAccount, { acceptSubscription: accept });
    const bob = connect(bobAccount, { acceptSubscription: accept });
    await Promise.all([alice.start(), bob.start()]);
    const subscribed = nextEvent(alice, 'presence', (p) => p.from === bob.jid && p.available);
    await bob.subscribe(bare(aliceAccount));
    await subscribed;

    const offline = Promise.all([nextEvent(alice, 'offline'), nextEvent(bob, 'offline')]);
    const online = Promise.all([alice, bob].map((c) => nextEvent(c, 'online', () => true, 20_000)));
    // The subscription survived the restart if Bob's new session shows up at Alice's.
    const bobBefore = bob.jid;
    const bobBack = nextEvent(
      alice,
      'presence',
      (p) => p.from.startsWith(`${bare(bobAccount)}/`) && p.from !== bobBefore && p.available,
      20_000,
    );
    const errorsBefore = backgroundErrors.length;
    const restartedAt = performance.now();
    await server.restart();
    await offline;
    await online;
    const codes = new Map<string, number>();
    for (const { code } of backgroundErrors.slice(errorsBefore)) {
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    const elapsed = (performance.now() - restartedAt).toFixed(0);
    console.log(
      `back online ${elapsed} ms after restart; errors emitted:`,
      Object.fromEntries(codes),
    );
    expect((await bobBack)[0].from).toBe(bob.jid);

    const atBob = nextEvent(bob, 'message');
    await alice.sendJson(bob.jid ?? '', { after: 'restart' });
    expect(JSON.parse((await atBob)[0].body)).toEqual({ after: 'restart' });
    const atAlice = nextEvent(alice, 'message');
    await bob.sendJson(alice.jid ?? '', { also: 'back' });
    expect(JSON.parse((await atAlice)[0].body)).toEqual({ also: 'back' });
  });
});
