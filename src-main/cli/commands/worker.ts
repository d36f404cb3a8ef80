import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { bareJid, domainOf, localOf } from '../../common/jid.ts';
import { createLogger } from '../../common/log.ts';
import { createExecutor, ExecutorOptionsError, type Executor } from '../../worker/executor.ts';
import type { Exposure } from '../../worker/sandbox.ts';
import { readProfile } from '../../worker/profile.ts';
import { createWorkerService } from '../../worker/service.ts';
import { createConnection } from '../../xmpp/connection.ts';
import type { Parsed } from '../args.ts';
import { loadConfig, requireKeys, serviceUrl } from '../../common/config.ts';
import { CliError, EXIT } from '../errors.ts';
import { loginFailure } from '../login-failure.ts';
import { untilSignal } from '../signals.ts';
import { joinPool } from './join.ts';

/**
 * A worker that joined with an invite keeps its settings in DATA_DIR/joined.json and uses them
 * whenever no --config is given; --join registers first.
 */
async function workerConfig(args: Parsed) {
  const base = loadConfig(args.flags, process.env, args.configPath);
  const joined = join(base.dataDir, 'joined.json');
  if (typeof args.values.join === 'string') {
    const settings = await joinPool(args.values.join, base.dataDir);
    process.stderr.write(`joined as ${settings.jid ?? ''}; settings kept in ${joined}\n`);
  }
  if (args.configPath !== undefined || !existsSync(joined)) return base;
  return loadConfig(args.flags, process.env, joined);
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `--expose /data/in,/data/out:rw`: read-only unless the path ends in `:rw`. */
function exposures(entries: readonly string[]): Exposure[] {
  return entries.map((entry) => {
    const writable = entry.endsWith(':rw');
    return { path: writable ? entry.slice(0, -3) : entry, writable };
  });
}

function workerExecutor(
  workRoot: string,
  config: { passEnv?: string[]; expose?: string[]; requireSandbox?: boolean },
): Executor {
  try {
    return createExecutor({
      workRoot,
      sandbox: config.requireSandbox === true ? 'require' : 'auto',
      passEnv: config.passEnv,
      expose: exposures(config.expose ?? []),
    });
  } catch (error) {
    if (!(error instanceof ExecutorOptionsError)) throw error;
    const exit = error.code === 'executor-no-sandbox' ? EXIT.failed : EXIT.usage;
    throw new CliError(`kestrel worker: ${error.message}`, exit);
  }
}

export async function runWorker(args: Parsed): Promise<number> {
  const config = requireKeys(
    await workerConfig(args),
    ['jid', 'password', 'manager'],
    'the worker’s account and its manager, or --join LINK',
  );
  const name =
    typeof args.values.name === 'string' ? args.values.name : `${hostname()}-${process.pid}`;
  if (!NAME_RE.test(name))
    throw new CliError(
      `--name must be letters, digits, '.', '_' or '-' (got '${name}')`,
      EXIT.usage,
    );
  const executor = workerExecutor(join(config.dataDir, 'work', name), config);
  // Like Celery's workers: one log file and one pid file per worker, under the data directory.
  const dir = join(config.dataDir, 'workers');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `${name}.log`);
  const pidFile = join(dir, `${name}.pid`);
  writeFileSync(pidFile, `${process.pid}\n`);
  const log = createLogger((line) => {
    process.stderr.write(line);
    appendFileSync(logFile, line);
  }, `worker ${name}`);
  try {
    if (executor.isolation.kind === 'none')
      log.warn(`tasks run unsandboxed: ${executor.isolation.detail}`);
    else log.info(`tasks run sandboxed: ${executor.isolation.detail}`);
    const profile = await readProfile({ provides: config.provides, slots: config.slots });
    const connection = createConnection({
      service: serviceUrl(config.server),
      domain: domainOf(config.jid),
      username: localOf(config.jid),
      password: config.password,
      resource: name,
      pin: config.pin,
      allowPlaintext: config.allowPlaintext,
      acceptSubscription: (jid) => bareJid(jid) === bareJid(config.manager),
    });
    connection.on('error', (error) => log.warn('xmpp', { error: String(error) }));
    const service = createWorkerService({
      connection,
      manager: config.manager,
      executor,
      profile,
      log,
    });
    try {
      await service.start();
    } catch (error) {
      throw loginFailure(error, config);
    }
    log.info('profile', { ...profile });
    const signal = await untilSignal();
    log.info(`${signal}: stopping (killing ${service.running()} running tasks)`);
    await service.stop();
    return 0;
  } finally {
    rmSync(pidFile, { force: true });
  }
}
