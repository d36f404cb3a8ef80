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

/** One ejabberd node: its directory, c2s port and Erlang node, driven by ejabberdctl. */
export interface NodeSettings {
  dir: string;
  domain: string;
  /** c2s, on 127.0.0.1. */
  port: number;
  /** The Erlang distribution port (ERL_DIST_PORT): shared by the nodes of one cluster. */
  distPort: number;
  /** e.g. `kestrel-40123@localhost`, or `k2-40125@127.0.0.2` in a cluster (long names). */
  nodeName: string;
  /** The loopback address the node's distribution listens on, e.g. 127.0.0.2. */
  distAddress: string;
}

export interface EjabberdNode {
  readonly settings: NodeSettings;
  /** The beam process, once started. */
  pid(): number | undefined;
  ctl(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Starts the node; resolves once it serves XMPP streams. */
  launch(): Promise<void>;
  /** Resolves once the running node serves XMPP streams (again, after a restart of its own). */
  ready(): Promise<void>;
  halt(graceful: boolean): Promise<void>;
  log(): Promise<string>;
}

/** Writes a node's configuration (see prepare) and returns its handle; nothing runs yet. */
export async function prepareNode(settings: NodeSettings): Promise<EjabberdNode> {
  const { dir, domain, port } = settings;
  const conf = join(dir, 'conf');
  const spool = join(dir, 'spool');
  const logs = join(dir, 'logs');
  const pidFile = join(spool, 'ejabberd.pid');
  await prepare({ ...settings, conf, spool, logs, pidFile });
  let beam: number | undefined;

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

  return {
    settings,
    pid: () => beam,
    ctl,
    async launch() {
      beam = undefined;
      // A PID file left by the previous run would name a dead process.
      await rm(pidFile, { force: true });
      await ctl('start');
      // `start` returns once the node is detached; the PID file appears while it boots.
      const early = () => {
        beam ??= readPid(pidFile);
        return beam !== undefined && !isAlive(beam)
          ? new Error('ejabberd exited early')
          : undefined;
      };
      await waitForStreams(port, domain, START_TIMEOUT_MS, early);
      beam ??= readPid(pidFile);
    },
    ready: () => waitForStreams(port, domain, START_TIMEOUT_MS, () => undefined),
    /**
     * `graceful`: SIGTERM, which makes the Erlang VM call init:stop(), the shutdown `ejabberdctl
     * stop` asks for over distribution, without booting a second VM for it (~3 s saved).
     * ejabberd closes every stream (RFC 6120 §4.9.3.23 system-shutdown), then Mnesia closes its
     * tables: killed sooner, the account and roster writes of the last few seconds are lost
     * (measured). The VM takes ~2 s to exit, more on a loaded machine. Otherwise SIGKILL: a node
     * that dies, or data we discard.
     */
    async halt(graceful) {
      const running = beam ?? readPid(pidFile);
      beam = undefined;
      if (running === undefined || !isAlive(running)) return;
      if (graceful) {
        process.kill(running, 'SIGTERM');
        if (await exited(running, GRACEFUL_STOP_TIMEOUT_MS)) return;
        console.warn(
          `ejabberd ${running} still running after SIGTERM: killing it; data may be lost`,
        );
      }
      process.kill(running, 'SIGKILL');
      await exited(running, KILL_TIMEOUT_MS);
    },
    log: () => readFile(join(logs, 'ejabberd.log'), 'utf8').catch(() => '(no log)'),
  };
}

/** `n` different TCP ports on 127.0.0.1 that were free a moment ago. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export async function startEjabberd(options: EjabberdOptions = {}): Promise<TestEjabberd> {
  const domain = options.domain ?? 'kestrel.test';
  const dir = await mkdtemp(join(tmpdir(), 'kestrel-ejabberd-'));
  const [port = 0, distPort = 0] = await freePorts(2);
  // ERL_DIST_PORT: the node listens for ejabberdctl on this port alone and no epmd is started,
  // so instances never share a daemon; node names need only be unique per port.
  const node = await prepareNode({
    dir,
    domain,
    port,
    distPort,
    nodeName: `kestrel-${port}@localhost`,
    distAddress: '127.0.0.1',
  });
  // If the test process dies without calling stop(), do not leave a server behind.
  const killOnExit = () => {
    const beam = node.pid();
    if (beam !== undefined && isAlive(beam)) process.kill(beam, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  try {
    await node.launch();
  } catch (error) {
    await node.halt(false).catch(() => undefined);
    process.off('exit', killOnExit);
    const log = await node.log();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`ejabberd did not start: ${error}\n${log}`, { cause: error });
  }
  return {
    kind: 'ejabberd',
    domain,
    service: `xmpp://127.0.0.1:${port}`,
    dir,
    port,
    pid: () => node.pid(),
    createAccount: (user, password) => registerInBand(port, domain, user, password),
    async restart() {
      await node.halt(true);
      await node.launch();
    },
    async stop() {
      process.off('exit', killOnExit);
      await node.halt(false);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Layout extends NodeSettings {
  conf: string;
  spool: string;
  logs: string;
  pidFile: string;
}

/** Writes the configuration and hands the directory to the `ejabberd` user ejabberdctl runs as. */
async function prepare(l: Layout): Promise<void> {
  await assertTraversable(dirname(l.dir));
  await mkdir(l.dir, { recursive: true });
  await Promise.all([l.conf, l.spool, l.logs].map((d) => mkdir(d)));
  await copyFile('/etc/ejabberd/inetrc', join(l.conf, 'inetrc'));
  await writeFile(
    join(l.conf, 'ejabberdctl.cfg'),
    [
      `ERLANG_NODE=${l.nodeName}`,
      `ERL_DIST_PORT=${l.distPort}`,
      // = INET_DIST_INTERFACE, without the extra VM ejabberdctl boots to parse it. In a cluster
      // the nodes share ERL_DIST_PORT (so no epmd is needed to find each other): each listens on
      // a loopback address of its own.
      `ERL_OPTIONS="-kernel inet_dist_use_interface {${l.distAddress.replaceAll('.', ',')}}"`,
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
