import { hostname } from 'node:os';
import { join } from 'node:path';
import { domainOf, localOf } from '../../common/jid.ts';
import { createLogger } from '../../common/log.ts';
import { createAccessPolicy } from '../../manager/access.ts';
import { userLimitsOf } from '../../manager/limits.ts';
import { readManagerStatus, type ManagerStatus } from '../../manager/manager-status.ts';
import { workerRateOf } from '../../manager/worker-rate.ts';
import { createManagerService } from '../../manager/service.ts';
import { waitAsStandby } from '../../manager/standby.ts';
import { openManagerStore, redactUrl, StoreError } from '../../manager/store.ts';
import { createConnection } from '../../xmpp/connection.ts';
import { intOption, type Parsed } from '../args.ts';
import { loadConfig, requireKeys, serviceUrls } from '../../common/config.ts';
import { CliError, EXIT } from '../errors.ts';
import { loginFailure } from '../login-failure.ts';
import { untilSignal } from '../signals.ts';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const isPostgres = (store: string | undefined) => /^postgres(ql)?:\/\//i.test(store ?? '');

export async function runManager(args: Parsed): Promise<number> {
  const [sub] = args.positionals;
  if (sub === 'status') return runManagerStatus(args);
  if (sub !== undefined)
    throw new CliError(`unknown manager subcommand '${sub}' (known: status)`, EXIT.usage);
  const config = requireKeys(
    loadConfig(args.flags, process.env, args.configPath),
    ['jid', 'password'],
    'the manager’s own account',
  );
  const pingInterval = intOption(args.values, 'ping-interval', 1) ?? 10;
  const takeoverAfter = intOption(args.values, 'takeover-after', 1) ?? 3;
  const shared = isPostgres(config.store);
  const name =
    typeof args.values.name === 'string'
      ? args.values.name
      : shared
        ? `${hostname()}-${process.pid}`
        : 'manager';
  if (!NAME_RE.test(name))
    throw new CliError(
      `--name must be letters, digits, '.', '_' or '-' (got '${name}')`,
      EXIT.usage,
    );
  const log = createLogger((line) => process.stderr.write(line), `manager ${name}`);
  const domain = domainOf(config.jid);
  const access = createAccessPolicy({
    domain,
    submitters: config.submitters,
    workers: config.workers,
    admins: config.admins,
  });
  for (const [role, list] of [
    ['worker', config.workers],
    ['submitter', config.submitters],
  ] as const) {
    if (list === undefined)
      log.warn(
        `every account of ${domain} may act as a ${role}; name who may with --${role}s JID,@DOMAIN`,
      );
  }
  const location = config.store ?? join(config.dataDir, 'manager.db');
  const store = await openManagerStore(location, {
    name,
    takeoverAfterMs: takeoverAfter * 1000,
    log,
  }).catch((error: unknown) => {
    if (error instanceof StoreError)
      throw new CliError(`kestrel manager: ${error.message}`, EXIT.failed);
    throw new CliError(
      `kestrel manager: cannot open the store ${redactUrl(location)}: ${String(error)}`,
      EXIT.failed,
    );
  });
  log.info('store open', { store: redactUrl(location), kind: store.kind });
  const connection = createConnection({
    service: serviceUrls(config.server),
    domain,
    username: localOf(config.jid),
    password: config.password,
    resource: name,
    pin: config.pin,
    allowPlaintext: config.allowPlaintext,
    acceptSubscription: (jid) => access.isWorker(jid) || access.canSubmit(jid),
  });
  connection.on('error', (error) => log.warn('xmpp', { error: String(error) }));
  const signal = untilSignal();

  let takePresence;
  if (store.election) {
    const standby = await waitAsStandby({
      connection,
      election: store.election,
      log,
      stopped: signal,
    }).catch(async (error: unknown) => {
      await store.close();
      throw loginFailure(error, config);
    });
    if (standby === undefined) {
      log.info(`${await signal}: stopping (was a standby)`);
      await connection.stop();
      await store.close();
      return 0;
    }
    takePresence = standby.takePresence;
  }
  const service = createManagerService({
    connection,
    store,
    access,
    log,
    pingIntervalMs: pingInterval * 1000,
    pingTimeoutMs: Math.max(1000, (pingInterval * 1000) / 2),
    limits: userLimitsOf(config),
    workerRate: workerRateOf(config),
    takePresence,
    // Stop acting at once: a supervisor (or the operator) starts it again, as a standby.
    deposed: () => process.exit(EXIT.deposed),
  });
  try {
    await service.start();
  } catch (error) {
    throw loginFailure(error, config);
  }
  log.info(`${await signal}: stopping`);
  await service.stop();
  return 0;
}

async function runManagerStatus(args: Parsed): Promise<number> {
  const config = loadConfig(args.flags, process.env, args.configPath);
  if (!isPostgres(config.store)) {
    throw new CliError(
      'kestrel manager status: needs --store postgres://… (or KESTREL_STORE); a SQLite store has one manager and no standbys',
      EXIT.usage,
    );
  }
  let status: ManagerStatus;
  try {
    status = await readManagerStatus(config.store ?? '');
  } catch (error) {
    throw new CliError(
      `kestrel manager status: cannot read ${redactUrl(config.store ?? '')}: ${String(error)}`,
      EXIT.failed,
    );
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(status)}\n`);
    return EXIT.ok;
  }
  const lines = [
    status.active
      ? `active:  ${status.active.name} (epoch ${status.active.epoch}, since ${status.active.since})`
      : 'active:  none (no manager holds the lock now)',
    ...status.standbys.map((n) => `standby: ${n}`),
  ];
  if (status.takeovers.length > 0)
    lines.push(
      'takeovers:',
      ...status.takeovers.map((t) => `  epoch ${t.epoch}  ${t.at}  ${t.name}`),
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  return status.active ? EXIT.ok : EXIT.failed;
}
