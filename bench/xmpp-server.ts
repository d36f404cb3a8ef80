// The embedded XMPP server against Prosody on the same load, each server in a process of its
// own and the clients (xmpp.js, Kestrel's connection layer) in this one:
//  - logins: full SCRAM-SHA-* logins (connect, auth, bind, roster, presence, close), C at a time;
//  - round trips: one driver sends chat messages to N echo clients, one in flight per client,
//    for S seconds; every echo counts once (two stanzas through the server).
// Server CPU is read from /proc. Usage:
//   node bench/xmpp-server.ts [--server embedded|prosody] [--clients 200] [--seconds 10]
//                             [--logins 400] [--concurrency 32]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { createXmppClient } from '../src-main/xmpp/client.ts';
import { createConnection, type XmppConnection } from '../src-main/xmpp/connection.ts';
import { registerInBand, startProsody } from '../test/harness/prosody.ts';

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'embedded' },
    clients: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    logins: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '32' },
  },
});
const kind = values.server;
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const logins = Number(values.logins);
const concurrency = Number(values.concurrency);
const PASSWORD = 'bench-password';
const PREFIX = 'b';
const domain = 'kestrel.test';
const accounts = Math.max(clients + 1, concurrency);

interface Running {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function startEmbeddedProcess(): Promise<Running> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      new URL('./lib/embedded-server-process.ts', import.meta.url).pathname,
      JSON.stringify({ accounts, prefix: PREFIX, password: PASSWORD }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (line: string) => {
      const match = /ready (\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    port,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function startProsodyProcess(): Promise<Running> {
  const prosody = await startProsody({ storage: 'memory', passwordHash: 'SHA-256' });
  for (let i = 0; i < accounts; i += 20) {
    const batch = [];
    for (let j = i; j < Math.min(i + 20, accounts); j++) {
      batch.push(registerInBand(prosody.port, domain, `${PREFIX}${j}`, PASSWORD));
    }
    await Promise.all(batch);
  }
  return { port: prosody.port, pid: prosody.pid() ?? 0, stop: () => prosody.stop() };
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
}

const server = kind === 'prosody' ? await startProsodyProcess() : await startEmbeddedProcess();
const service = `xmpp://127.0.0.1:${server.port}`;

async function loginOnce(index: number): Promise<void> {
  const { entity } = createXmppClient({
    service,
    domain,
    username: `${PREFIX}${index % accounts}`,
    password: PASSWORD,
    resource: `login-${index}`,
  });
  await entity.start();
  await entity.stop();
}

async function benchLogins(): Promise<Record<string, number>> {
  let next = 0;
  const cpu0 = cpuMs(server.pid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < logins) await loginOnce(next++);
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuMs(server.pid) - cpu0;
  return {
    logins,
    loginsPerSecond: Math.round(logins / elapsed),
    serverCpuMsPerLogin: Number((cpu / logins).toFixed(2)),
  };
}

async function benchRoundTrips(): Promise<Record<string, number>> {
  const connect = (i: number, resource: string): XmppConnection => {
    const connection = createConnection({
      service,
      domain,
      username: `${PREFIX}${i}`,
      password: PASSWORD,
      resource,
      reconnect: false,
    });
    connection.on('error', (error) => console.error(`client ${i}: ${error.message}`));
    return connection;
  };
  const echoes = Array.from({ length: clients }, (_, i) => connect(i + 1, 'echo'));
  for (let i = 0; i < echoes.length; i += 50)
    await Promise.all(echoes.slice(i, i + 50).map((c) => c.start()));
  for (const echo of echoes) {
    echo.on('message', ({ from, body }) => void echo.sendText(from, body).catch(() => undefined));
  }
  const driver = connect(0, 'driver');
  await driver.start();
  let done = 0;
  let running = true;
  const send = (to: string) => void driver.sendText(to, 'x').catch(() => undefined);
  driver.on('message', ({ from }) => {
    done++;
    if (running) send(from);
  });
  const cpu0 = cpuMs(server.pid);
  const t0 = performance.now();
  for (const echo of echoes) send(echo.jid ?? '');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuMs(server.pid) - cpu0;
  const counted = done;
  const serverRssMb = rssMb(server.pid);
  await Promise.all([driver, ...echoes].map((c) => c.stop()));
  return {
    clients,
    roundTripsPerSecond: Math.round(counted / elapsed),
    serverCpuPercent: Math.round((cpu / (elapsed * 1000)) * 100),
    serverCpuUsPerRoundTrip: Math.round((cpu * 1000) / counted),
    serverRssMb,
  };
}

try {
  const login = await benchLogins();
  const trips = await benchRoundTrips();
  console.log(JSON.stringify({ server: kind, ...login, ...trips }));
} finally {
  await server.stop();
}
