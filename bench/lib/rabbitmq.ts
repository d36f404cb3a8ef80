// A private RabbitMQ from Debian's package for the Celery peer: its own directory, node name and
// ports on 127.0.0.1, its own epmd (Erlang's port mapper, which otherwise listens on every
// interface and outlives the broker), no systemd; stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../test/harness/free-port.ts';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const START_TIMEOUT_MS = 60_000;

export interface RabbitMq {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startRabbitMq(): Promise<RabbitMq> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-rabbitmq-'));
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  mkdirSync(join(dir, 'log'));
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  // send_timeout: Celery's client does not read its socket while it publishes a big bag, and the
  // rpc:// results pushed to it meanwhile would time out the broker's writer (default 15 s).
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    `listeners.tcp.default = 127.0.0.1:${port}\ntcp_listen_options.send_timeout = 600000\n`,
  );
  const env = {
    PATH: process.env.PATH,
    HOME: dir, // the Erlang cookie goes here, not into root's home
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `kbench${randomBytes(3).toString('hex')}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const epmd = spawn('epmd', ['-address', '127.0.0.1', '-port', String(epmdPort)], {
    env,
    stdio: 'ignore',
  });
  const broker = spawn(SERVER, [], { env, stdio: 'ignore' });
  const stop = async () => {
    await stopChild(broker, 'SIGTERM', 15_000);
    await stopChild(epmd, 'SIGTERM', 2_000);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => {
    for (const child of [broker, epmd]) if (child.exitCode === null) child.kill('SIGKILL');
  });
  try {
    const early = () =>
      broker.exitCode !== null ? new Error(`rabbitmq exited (${broker.exitCode})`) : undefined;
    await waitForPort(port, START_TIMEOUT_MS, early);
  } catch (error) {
    const log = (() => {
      try {
        return readFileSync(join(dir, 'log', `${env.RABBITMQ_NODENAME}.log`), 'utf8');
      } catch {
        return '(no log)';
      }
    })();
    await stop();
    throw new Error(`rabbitmq did not start: ${error}\n${log.slice(-2000)}`, { cause: error });
  }
  if (broker.pid === undefined) throw new Error('rabbitmq has no pid');
  return { url: `amqp://guest:guest@127.0.0.1:${port}//`, pid: broker.pid, stop };
}
