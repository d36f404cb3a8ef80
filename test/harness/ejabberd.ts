// A private ejabberd for tests (recipe: /work/shared/reference/xmpp-servers.md): its own temp
// directory, loopback c2s port and Erlang distribution port, driven by Debian's ejabberdctl.
// ejabberdctl runs the node as the `ejabberd` user and detaches it, so the beam process is not
// our child: we know it by the PID ejabberd writes (EJABBERD_PID_PATH) and kill nothing else.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { exited, isAlive } from './detached.ts';
import { freePort } from './free-port.ts';
import { registerInBand } from './prosody.ts';
import { rawConnect, streamHeader } from './raw-xmpp.ts';
import type { TestXmppServer } from './xmpp-server.ts';

export interface EjabberdOptions {
  domain?: string;
}

export interface TestEjabberd extends TestXmppServer {
  dir: string;
  port: number;
  /** The beam process of this instance, once started. */
  pid(): number | undefined;
}

const START_TIMEOUT_MS = 20_000;
const CTL_TIMEOUT_MS = 15_000;
const GRACEFUL_STOP_TIMEOUT_MS = 45_000;
const KILL_TIMEOUT_MS = 5_000;
const run = promisify(execFile);

export async function startEjabberd(options: EjabberdOptions = {}): Promise<TestEjabberd> {
  const domain = options.domain ?? 'kestrel.test';
  const dir = await mkdtemp(join(tmpdir(), 'kestrel-ejabberd-'));
  const conf = join(dir, 'conf');
  const spool = join(dir, 'spool');
  const logs = join(dir, 'logs');
  const pidFile = join(spool, 'ejabberd.pid');
  const port = await freePort();
  let distPort = await freePort();
  while (distPort === port) distPort = await freePort();

  let beam: number | undefined;
  // If the test process dies without calling stop(), do not leave a server behind.
  const killOnExit = () => {
    if (beam !== undefined && isAlive(beam)) process.kill(beam, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const ctl = (...args: string[]) =>
    run(
      'ejabberdctl',
      [
        ...['--config-dir', conf, '--ctl-config', join(conf, 'ejabberdctl.cfg')],
        ...['--config', join(conf, 'ejabberd.yml'), '--spool', spool, '--logs', logs],
        ...args,
      ],
      { timeout: CTL_TIMEOUT_MS },
    );

  async function launch(): Promise<void> {
    beam = undefined;
    // A PID file left by the previous run would name a dead process.
    await rm(pidFile, { force: true });
    await ctl('start');
    // `start` returns once the node is detached; the PID file appears while it boots.
    const early = () => {
      beam ??= readPid(pidFile);
      return beam !== undefined && !isAlive(beam) ? new Error('ejabberd exited early') : undefined;
    };
    await waitForStreams(port, domain, START_TIMEOUT_MS, early);
    beam ??= readPid(pidFile);
  }

  /**
   * `graceful`: SIGTERM, which makes the Erlang VM call init:stop(), the shutdown `ejabberdctl
   * stop` asks for over distribution, without booting a second VM for it (~3 s saved). ejabberd
   * closes every stream (RFC 6120 §4.9.3.23 system-shutdown), then Mnesia closes its tables:
   * killed sooner, the account and roster writes of the last few seconds are lost (measured).
   * The VM takes ~2 s to exit, more on a loaded machine. Otherwise SIGKILL, for data we discard.
   */
  async function halt(graceful: boolean): Promise<void> {
    const running = beam ?? readPid(pidFile);
    beam = undefined;
    if (running === undefined || !isAlive(running)) return;
    if (graceful) {
      process.kill(running, 'SIGTERM');
      if (await exited(running, GRACEFUL_STOP_TIMEOUT_MS)) return;
      console.warn(`ejabberd ${running} still running after SIGTERM: killing it; data may be lost`);
    }
    process.kill(running, 'SIGKILL');
    await exited(running, KILL_TIMEOUT_MS);
  }

  try {
    await prepare({ dir, conf, spool, logs, pidFile, domain, port, distPort });
    await launch();
  } catch (error) {
    await halt(false).catch(() => undefined);
    process.off('exit', killOnExit);
    const log = await readFile(join(logs, 'ejabberd.log'), 'utf8').catch(() => '(no log)');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`ejabberd did not start: ${error}\n${log}`, { cause: error });
  }
  return {
    kind: 'ejabberd',
    domain,
    service: `xmpp://127.0.0.1:${port}`,
    dir,
    port,
    pid: () => beam,
    createAccount: (user, password) => registerInBand(port, domain, user, password),
    async restart() {
      await halt(true);
      await launch();
    },
    async stop() {
      process.off('exit', killOnExit);
      await halt(false);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Layout {
  dir: string;
  conf: string;
  spool: string;
  logs: string;
  pidFile: string;
  domain: string;
  port: number;
  distPort: number;
}

/** Writes the configuration and hands the directory to the `ejabberd` user ejabberdctl runs as. */
async function prepare(l: Layout): Promise<void> {
  await assertTraversable(dirname(l.dir));
  await Promise.all([l.conf, l.spool, l.logs].map((d) => mkdir(d)));
  await copyFile('/etc/ejabberd/inetrc', join(l.conf, 'inetrc'));
  // ERL_DIST_PORT: the node listens for ejabberdctl on this port alone and no epmd is started,
  // so instances never share a daemon; node names need only be unique per port.
  await writeFile(
    join(l.conf, 'ejabberdctl.cfg'),
    [
      `ERLANG_NODE=kestrel-${l.port}@localhost`,
      `ERL_DIST_PORT=${l.distPort}`,
      // = INET_DIST_INTERFACE=127.0.0.1, without the extra VM ejabberdctl boots to parse it.
      'ERL_OPTIONS="-kernel inet_dist_use_interface {127,0,0,1}"',
      'ERL_EPMD_ADDRESS=127.0.0.1',
      `EJABBERD_PID_PATH=${l.pidFile}`,
      '',
    ].join('\n'),
  );
  await writeFile(join(l.conf, 'ejabberd.yml'), config(l));
  await run('chown', ['-R', 'ejabberd:', l.dir]);
}

function config(l: Layout): string {
  // No mod_stream_mgmt: without it ejabberd offers no XEP-0198, so a killed client's session
  // ends with its TCP connection instead of waiting out a resume_timeout (Kestrel's client does
  // not enable it anyway). mod_ping's server pings drop a frozen client (XEP-0199 §4.2);
  // registration_timeout: infinity lifts the default of one registration per IP per 10 min.
  return `hosts: [${JSON.stringify(l.domain)}]
loglevel: info
certfiles: []
listen:
  - port: ${l.port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: false
    backlog: 1024
auth_method: internal
auth_password_format: scram
registration_timeout: infinity
modules:
  mod_roster: {}
  mod_disco: {}
  mod_ping: {send_pings: true, ping_interval: 10, ping_ack_timeout: 5, timeout_action: kill}
  mod_register: {ip_access: all}
`;
}

/**
 * Resolves once the server answers a stream header with its features (RFC 6120 §4.3.2).
 * ejabberd binds its listening socket early in its boot, so the port accepts TCP connections
 * (into the backlog) well before ejabberd serves them: a port check would return too soon, and
 * a restart() right after would signal a node that has not finished starting.
 */
async function waitForStreams(
  port: number,
  domain: string,
  timeoutMs: number,
  abort: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const aborted = abort();
    if (aborted) throw aborted;
    const client = await rawConnect(port).catch(() => undefined);
    if (client) {
      client.send(streamHeader(domain));
      const served = await client.waitFor(/<stream:features/, 1_000).then(
        () => true,
        () => false,
      );
      client.destroy();
      if (served) return;
    }
    if (Date.now() > deadline) throw new Error(`no XMPP stream on port ${port} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** ejabberdctl switches to the `ejabberd` user, which must be able to reach our directory. */
async function assertTraversable(path: string): Promise<void> {
  for (let p = path; ; p = dirname(p)) {
    if (((await stat(p)).mode & 0o001) === 0) {
      throw new Error(`${p} is not traversable by others: the ejabberd user cannot reach ${path}`);
    }
    if (dirname(p) === p) return;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
