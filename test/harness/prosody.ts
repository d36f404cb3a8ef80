// A private Prosody for tests (recipe: /work/shared/reference/xmpp-servers.md): its own temp
// directory and loopback port, run in the foreground as a child we can kill by PID.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Parser, xml, type Element } from '@xmpp/xml';

import { freePort, waitForPort } from './free-port.ts';
import type { TestXmppServer } from './xmpp-server.ts';

export interface ProsodyOptions {
  domain?: string;
  /** Offer STARTTLS with a self-signed certificate (trust it with NODE_EXTRA_CA_CERTS=certFile). */
  tls?: boolean;
  /** How Prosody stores passwords, hence which SCRAM it offers; default 'SHA-1'. */
  passwordHash?: 'SHA-1' | 'SHA-256';
  /**
   * Where accounts and rosters live; default 'internal' (files). 'memory' keeps them in RAM, for
   * benchmarks whose thousands of subscriptions would otherwise rewrite one roster file each time.
   */
  storage?: 'internal' | 'memory';
  /**
   * Lua garbage collector settings (https://prosody.im/doc/advanced_gc), e.g.
   * `{ mode: 'incremental', threshold: 400, speed: 250 }`; Prosody's defaults when absent.
   */
  gc?: Record<string, string | number>;
}

export interface TestProsody extends TestXmppServer {
  dir: string;
  port: number;
  /** The self-signed certificate, when started with `tls`. */
  certFile: string | undefined;
  pid(): number | undefined;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startProsody(options: ProsodyOptions = {}): Promise<TestProsody> {
  const domain = options.domain ?? 'kestrel.test';
  const dir = await mkdtemp(join(tmpdir(), 'kestrel-prosody-'));
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'certs'));
  const certFile = options.tls ? await makeCertificate(dir, domain) : undefined;
  const port = await freePort();
  const configFile = join(dir, 'prosody.cfg.lua');
  await writeFile(configFile, config({ dir, domain, port, ...options }));

  let child: ChildProcess | undefined;
  // If the test process dies without calling stop(), do not leave a server behind.
  const killOnExit = () => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  async function launch(): Promise<void> {
    const started = spawn('prosody', ['--config', configFile, '-F'], { stdio: 'ignore' });
    child = started;
    let spawnError: Error | undefined;
    started.once('error', (error) => (spawnError = error));
    const early = () =>
      spawnError ??
      (started.exitCode !== null || started.signalCode !== null
        ? new Error(`prosody exited early (${started.exitCode})`)
        : undefined);
    await waitForPort(port, START_TIMEOUT_MS, early);
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    if (running?.pid === undefined || running.exitCode !== null || running.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => running.once('exit', resolve));
    process.kill(running.pid, signal);
    const timer = setTimeout(() => process.kill(running.pid as number, 'SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  try {
    await launch();
  } catch (error) {
    await halt('SIGKILL');
    process.off('exit', killOnExit);
    const log = await readFile(join(dir, 'prosody.log'), 'utf8').catch(() => '(no log)');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`prosody did not start: ${error}\n${log}`, { cause: error });
  }
  return {
    kind: 'prosody',
    domain,
    service: `xmpp://127.0.0.1:${port}`,
    dir,
    port,
    certFile,
    pid: () => child?.pid,
    createAccount: (user, password) => registerInBand(port, domain, user, password),
    async restart() {
      // SIGTERM: Prosody closes every stream (RFC 6120 §4.9.3.23 system-shutdown) and flushes
      // its storage; only then is the port free again.
      await halt('SIGTERM');
      await launch();
    },
    async stop() {
      process.off('exit', killOnExit);
      await halt('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function config(o: { dir: string; domain: string; port: number } & ProsodyOptions): string {
  // No smacks (XEP-0198): a killed client must go unavailable at once, not after hibernation.
  // posix handles SIGTERM as in production: a graceful shutdown with stream errors to clients.
  // tcp_backlog: the default 128 drops the SYNs of a login storm, and each dropped SYN costs its
  // client a 1 s, then 3 s, … retransmission.
  const modules = ['roster', 'saslauth', 'disco', 'presence', 'message', 'iq', 'ping', 'register'];
  modules.push('posix');
  if (o.tls) modules.push('tls');
  return `
run_as_root = true
daemonize = false
pidfile = "${o.dir}/prosody.pid"
data_path = "${o.dir}/data"
certificates = "${o.dir}/certs"
interfaces = { "127.0.0.1" }
c2s_ports = { ${o.port} }
c2s_direct_tls_ports = { }
s2s_ports = { }; http_ports = { }; https_ports = { }
admin_socket = "${o.dir}/data/prosody.sock"
modules_enabled = { ${modules.map((m) => `"${m}"`).join('; ')} }
modules_disabled = { "s2s"; "offline"; }
authentication = "internal_hashed"
password_hash = "${o.passwordHash ?? 'SHA-1'}"
storage = "${o.storage ?? 'internal'}"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = true
network_settings = { read_timeout = 10; nagle = false; tcp_backlog = 4096 }
${
  o.gc
    ? `gc = { ${Object.entries(o.gc)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join('; ')} }`
    : ''
}
log = { { levels = { min = "info" }, to = "file", filename = "${o.dir}/prosody.log" } }
VirtualHost "${o.domain}"
`;
}

async function makeCertificate(dir: string, domain: string): Promise<string> {
  const crt = join(dir, 'certs', `${domain}.crt`);
  const key = join(dir, 'certs', `${domain}.key`);
  await promisify(execFile)('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650'],
    ...['-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain}`],
    ...['-keyout', key, '-out', crt],
  ]);
  return crt;
}

/**
 * XEP-0077 in-band registration on a throwaway plaintext stream: ~10× faster than a
 * `prosodyctl register` process per account (measured: see the report in the test file).
 */
export function registerInBand(
  port: number,
  domain: string,
  user: string,
  password: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    const parser = new Parser();
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.on('error', fail);
    socket.on('data', (data: string) => parser.write(data));
    parser.on('error', fail);
    parser.on('element', (element: Element) => {
      if (element.name === 'stream:features') {
        const query = xml(
          'query',
          { xmlns: 'jabber:iq:register' },
          xml('username', {}, user),
          xml('password', {}, password),
        );
        socket.write(xml('iq', { type: 'set', id: 'reg' }, query).toString());
      } else if (element.name === 'iq' && element.attrs.id === 'reg') {
        socket.end('</stream:stream>');
        if (element.attrs.type === 'result') resolve();
        else fail(new Error(`registering ${user}: ${element.getChild('error')?.toString()}`));
      }
    });
    socket.write(
      `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' ` +
        `xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
  });
}
