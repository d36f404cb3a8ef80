import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../common/config.ts';
import { createLogger } from '../../common/log.ts';
import { WORKER_PREFERENCE_KEYS } from '../../common/preferences.ts';
import { createVolunteer } from '../../volunteer/controller.ts';
import { readAllHistory } from '../../volunteer/history.ts';
import { DEDICATED_SETTINGS, mergeSettings } from '../../volunteer/settings.ts';
import { ExecutorOptionsError } from '../../worker/executor.ts';
import { JoinError, joinedConfigPath, joinPool, loadWorkerConfig } from '../../worker/join.ts';
import type { Exposure } from '../../worker/sandbox.ts';
import { intOption, type Parsed } from '../args.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatHistory } from '../format-history.ts';
import { loginFailure } from '../login-failure.ts';
import { untilSignal } from '../signals.ts';

/**
 * `kestrel worker`: the same worker the desktop app runs (volunteer/controller.ts), with its
 * preferences from the config file and flags (DEDICATED_SETTINGS unless set) instead of the
 * app's settings file. A worker that joined with an invite keeps its account in
 * DATA_DIR/joined.json and uses it whenever no --config is given; --join registers first.
 */

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `--expose /data/in,/data/out:rw`: read-only unless the path ends in `:rw`. */
function exposures(entries: readonly string[]): Exposure[] {
  return entries.map((entry) => {
    const writable = entry.endsWith(':rw');
    return { path: writable ? entry.slice(0, -3) : entry, writable };
  });
}

async function joinFirst(link: string, dataDir: string): Promise<void> {
  try {
    const joined = await joinPool({ link }, dataDir);
    process.stderr.write(
      `joined as ${joined.jid}; settings kept in ${joinedConfigPath(dataDir)}\n`,
    );
  } catch (error) {
    if (!(error instanceof JoinError)) throw error;
    const where = error.where === undefined ? '' : ` ${error.where}`;
    const exit = error.code === 'bad_invite' ? EXIT.usage : EXIT.connection;
    throw new CliError(`kestrel worker: could not join${where}: ${error.message}`, exit);
  }
}

function preferencesOf(config: Config) {
  const chosen = Object.fromEntries(
    WORKER_PREFERENCE_KEYS.filter((key) => config[key] !== undefined).map((key) => [
      key,
      config[key],
    ]),
  );
  return mergeSettings(DEDICATED_SETTINGS, chosen, 'preferences');
}

function runHistory(args: Parsed): number {
  const { dataDir } = loadConfig(args.flags, process.env, args.configPath);
  const name = typeof args.values.name === 'string' ? args.values.name : undefined;
  const limit = intOption(args.values, 'limit', 1) ?? 50;
  const all = readAllHistory(dataDir, name);
  const shown = all.slice(-limit).reverse();
  process.stdout.write(
    args.json ? `${JSON.stringify(shown)}\n` : `${formatHistory(shown, all.length)}\n`,
  );
  return EXIT.ok;
}

export async function runWorker(args: Parsed): Promise<number> {
  const [sub] = args.positionals;
  if (sub === 'history') return runHistory(args);
  if (sub !== undefined)
    throw new CliError(`unknown worker command '${sub}' (did you mean 'history'?)`, EXIT.usage);
  const base = loadConfig(args.flags, process.env, args.configPath);
  if (typeof args.values.join === 'string') await joinFirst(args.values.join, base.dataDir);
  const config = loadWorkerConfig(args.flags, process.env, args.configPath);
  const settings = preferencesOf(config);
  const name =
    typeof args.values.name === 'string' ? args.values.name : `${hostname()}-${process.pid}`;
  if (!NAME_RE.test(name))
    throw new CliError(
      `--name must be letters, digits, '.', '_' or '-' (got '${name}')`,
      EXIT.usage,
    );
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
  const worker = createVolunteer({
    env: process.env,
    flags: args.flags,
    configPath: args.configPath,
    name,
    log,
    headless: {
      settings,
      slots: config.slots,
      executor: {
        sandbox: config.requireSandbox === true ? 'require' : 'auto',
        passEnv: config.passEnv,
        expose: exposures(config.expose ?? []),
      },
    },
  });
  try {
    try {
      await worker.start();
    } catch (error) {
      if (error instanceof ConfigError) {
        if (error.missing.length > 0)
          throw new ConfigError(
            error.message,
            error.missing,
            'the worker’s account and its manager, or --join LINK',
          );
        throw error;
      }
      if (error instanceof ExecutorOptionsError) {
        const exit = error.code === 'executor-no-sandbox' ? EXIT.failed : EXIT.usage;
        throw new CliError(`kestrel worker: ${error.message}`, exit);
      }
      throw loginFailure(error, { jid: config.jid ?? '', server: config.server });
    }
    const signal = await untilSignal();
    log.info(`${signal}: stopping (killing ${worker.snapshot().running} running tasks)`);
    return 0;
  } finally {
    await worker.stop();
    rmSync(pidFile, { force: true });
  }
}
